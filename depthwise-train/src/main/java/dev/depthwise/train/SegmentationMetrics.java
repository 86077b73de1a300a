package dev.depthwise.train;

import dev.depthwise.data.Mask;
import dev.depthwise.engine.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Segmentation metrics accumulated over a dataset, batch by batch, with the definitions of the article
 * ("Efficient Image Segmentation Using PyTorch") and of torchmetrics (version 1.x), so that our numbers
 * can be compared with theirs. Pixels whose target is {@link Mask#IGNORE} (255) count nowhere, as
 * torchmetrics' {@code ignore_index=255}. With {@code M} the confusion matrix (rows = targets, columns =
 * predictions) over every other pixel:
 *
 * <ul>
 *   <li><b>pixel accuracy</b> = trace(M) / sum(M): the fraction of pixels whose argmax class equals the
 *       target (torchmetrics {@code MulticlassAccuracy(average='micro')}; the article's
 *       {@code (pred == target).sum() / numel}).
 *   <li><b>IoU</b>, the article's headline number: torchmetrics
 *       {@code MulticlassJaccardIndex(num_classes, average='micro', ignore_index=ignoreClass)}, where the
 *       ignored class is a run's choice (background for the pet layout, as the article). Pixels whose
 *       <em>target</em> is the ignored class are dropped first; over the remaining pixels
 *       IoU = sum_{c != ignored} TP_c / sum_{c != ignored} (TP_c + FP_c + FN_c). A pixel of another class
 *       predicted as the ignored class is therefore a false negative of its true class but not a false
 *       positive of the ignored one (torchmetrics 1.x; versions before 1.0 also added the ignored class's
 *       false positives to the denominator).
 *   <li><b>per-class IoU</b> = TP_c / (TP_c + FP_c + FN_c) over all pixels, nothing ignored
 *       ({@code average='none'}); 0 for a class that appears neither in targets nor predictions.
 *   <li><b>mean IoU</b> = the mean of the per-class IoU over the classes that appear in targets or
 *       predictions ({@code average='macro'}, nothing ignored).
 *   <li><b>soft IoU</b>, the article's "custom IoU" on probabilities rather than labels: per image,
 *       with p = softmax(logits) over classes and g = one-hot(target),
 *       (sum(g·p) + 0.001) / (sum(g + p − g·p) + 0.001) summed over classes and pixels; the metric is the
 *       mean over images (the article averages per batch, which is the same when batches are equal);
 *       ignored pixels are left out of both sums.
 * </ul>
 */
public final class SegmentationMetrics {
    /** Names of the trimap classes {@link Mask#PET}, {@link Mask#BACKGROUND}, {@link Mask#BORDER}, for tables. */
    public static final String[] CLASS_NAMES = {"pet", "background", "border"};

    private static final double SOFT_IOU_SMOOTH = 0.001;

    private final ConfusionMatrix confusion;
    private final List<String> classNames;
    private final int ignoreClass;
    private double softIoUSum;
    private long images;

    /** The article's setting: 3 classes, IoU ignoring the background. */
    public static SegmentationMetrics forTrimaps() {
        return new SegmentationMetrics(Mask.NUM_CLASSES, Mask.BACKGROUND);
    }

    /** Classes named {@code class0}, {@code class1}, ...; for the trimaps' three, their names. */
    public SegmentationMetrics(int numClasses, int ignoreClass) {
        this(defaultNames(numClasses), ignoreClass);
    }

    /** @param ignoreClass the class left out of {@link #iou()}, or -1 for none */
    public SegmentationMetrics(List<String> classNames, int ignoreClass) {
        this.confusion = new ConfusionMatrix(classNames.size());
        this.classNames = List.copyOf(classNames);
        if (ignoreClass >= classNames.size()) {
            throw new IllegalArgumentException("ignored class " + ignoreClass + " outside [0, " + classNames.size() + ")");
        }
        this.ignoreClass = ignoreClass;
    }

    static List<String> defaultNames(int numClasses) {
        if (numClasses == Mask.NUM_CLASSES) {
            return List.of(CLASS_NAMES);
        }
        List<String> names = new ArrayList<>(numClasses);
        for (int c = 0; c < numClasses; c++) {
            names.add("class" + c);
        }
        return names;
    }

    public List<String> classNames() {
        return classNames;
    }

    /** The class left out of {@link #iou()}, or -1. */
    public int ignoreClass() {
        return ignoreClass;
    }

    /**
     * Adds a batch: {@code logits} [N, C, H, W] and {@code target} the N·H·W class indices.
     * Updates the confusion matrix with the argmax labels and the soft IoU with the probabilities.
     */
    public void update(Tensor logits, int[] target) {
        checkShapes(logits, target);
        confusion.update(argmax(logits), target);
        int n = logits.n();
        for (int i = 0; i < n; i++) {
            softIoUSum += softIoU(logits, target, i);
        }
        images += n;
    }

    /** Adds labels only (no probabilities, so the soft IoU is not updated). */
    public void updateLabels(int[] predicted, int[] target) {
        confusion.update(predicted, target);
    }

    private void checkShapes(Tensor logits, int[] target) {
        if (logits.rank() != 4 || logits.c() != confusion.numClasses()) {
            throw new IllegalArgumentException("metrics: logits " + logits.shapeString() + " should be [N, "
                    + confusion.numClasses() + ", H, W]");
        }
        if (target.length != logits.n() * logits.h() * logits.w()) {
            throw new IllegalArgumentException("metrics: " + target.length + " target pixels for logits "
                    + logits.shapeString());
        }
    }

    /** The most likely class of each pixel of {@code logits} [N, C, H, W], as N·H·W indices (first on ties, as torch.argmax). */
    public static int[] argmax(Tensor logits) {
        int n = logits.n();
        int c = logits.c();
        int plane = logits.h() * logits.w();
        float[] x = logits.data();
        int[] labels = new int[n * plane];
        for (int img = 0; img < n; img++) {
            int base = img * c * plane;
            for (int p = 0; p < plane; p++) {
                int best = 0;
                float bestValue = x[base + p];
                for (int k = 1; k < c; k++) {
                    float v = x[base + k * plane + p];
                    if (v > bestValue) {
                        bestValue = v;
                        best = k;
                    }
                }
                labels[img * plane + p] = best;
            }
        }
        return labels;
    }

    /** The article's soft IoU of one image; softmax computed in double with the max subtracted. */
    private static double softIoU(Tensor logits, int[] target, int img) {
        int c = logits.c();
        int plane = logits.h() * logits.w();
        float[] x = logits.data();
        int base = img * c * plane;
        double intersection = 0;
        double union = 0;
        double[] probs = new double[c];
        for (int p = 0; p < plane; p++) {
            if (target[img * plane + p] == Mask.IGNORE) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) {
                max = Math.max(max, x[base + k * plane + p]);
            }
            double sum = 0;
            for (int k = 0; k < c; k++) {
                probs[k] = Math.exp(x[base + k * plane + p] - max);
                sum += probs[k];
            }
            int t = target[img * plane + p];
            for (int k = 0; k < c; k++) {
                double prob = probs[k] / sum;
                double g = k == t ? 1 : 0;
                intersection += g * prob;
                union += g + prob - g * prob;
            }
        }
        return (intersection + SOFT_IOU_SMOOTH) / (union + SOFT_IOU_SMOOTH);
    }

    public ConfusionMatrix confusion() {
        return confusion;
    }

    public double pixelAccuracy() {
        long total = confusion.total();
        return total == 0 ? 0 : (double) confusion.correct() / total;
    }

    /** The article's IoU: micro Jaccard index without the ignored class (see the class comment). */
    public double iou() {
        int k = confusion.numClasses();
        long numerator = 0;
        long denominator = 0;
        for (int c = 0; c < k; c++) {
            if (c == ignoreClass) {
                continue;
            }
            long tp = confusion.count(c, c);
            long predictedOnKeptTargets = 0;
            for (int t = 0; t < k; t++) {
                if (t != ignoreClass) {
                    predictedOnKeptTargets += confusion.count(t, c);
                }
            }
            numerator += tp;
            denominator += confusion.targetCount(c) + predictedOnKeptTargets - tp;
        }
        return denominator == 0 ? 0 : (double) numerator / denominator;
    }

    /** IoU of each class over all pixels, nothing ignored. */
    public double[] perClassIoU() {
        int k = confusion.numClasses();
        double[] iou = new double[k];
        for (int c = 0; c < k; c++) {
            long tp = confusion.count(c, c);
            long union = confusion.targetCount(c) + confusion.predictedCount(c) - tp;
            iou[c] = union == 0 ? 0 : (double) tp / union;
        }
        return iou;
    }

    /** Mean of {@link #perClassIoU()} over the classes present in targets or predictions. */
    public double meanIoU() {
        double[] iou = perClassIoU();
        double sum = 0;
        int present = 0;
        for (int c = 0; c < iou.length; c++) {
            if (confusion.targetCount(c) + confusion.predictedCount(c) > 0) {
                sum += iou[c];
                present++;
            }
        }
        return present == 0 ? 0 : sum / present;
    }

    /** The article's soft "custom IoU", mean over images; 0 before any {@link #update(Tensor, int[])}. */
    public double softIoU() {
        return images == 0 ? 0 : softIoUSum / images;
    }

    /** The named scalar metrics, in a stable order, for tables, JSON and charts. */
    public Map<String, Double> summary() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("pixel_accuracy", pixelAccuracy());
        m.put("iou", iou());
        m.put("mean_iou", meanIoU());
        m.put("soft_iou", softIoU());
        double[] perClass = perClassIoU();
        for (int c = 0; c < perClass.length; c++) {
            m.put("iou_" + classNames.get(c), perClass[c]);
        }
        return m;
    }

    public void reset() {
        confusion.reset();
        softIoUSum = 0;
        images = 0;
    }
}
