package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;

import static dev.depthwise.engine.op.OpChecks.fail;
import static dev.depthwise.engine.op.OpChecks.length;
import static dev.depthwise.engine.op.OpChecks.planeSize;
import static dev.depthwise.engine.op.OpChecks.rankAtLeast;
import static dev.depthwise.engine.op.OpChecks.required;
import static dev.depthwise.engine.op.OpChecks.sameShape;

/**
 * Softmax over the channel axis and the two segmentation losses, for logits [N, C, H, W] or [N, C]
 * and targets given as N*H*W class indices. The losses return the scalar and, when
 * {@code gradLogits} is given, overwrite it with d loss / d logits.
 *
 * <p>Pixels are processed in fixed blocks whose partial sums are added in block order, so results do
 * not depend on the thread count. Per pixel everything is computed in double: C is small (3 for the
 * pet trimaps), so it costs little and keeps the log-sum-exp exact to float precision.
 */
public final class LossOp {
    /** Pixels per block of the parallel loops. */
    private static final int BLOCK = 2048;

    private LossOp() {
    }

    /** probs = softmax(logits) over axis 1; probs may be logits. */
    public static void softmax(Tensor logits, Tensor probs) {
        String op = "LossOp.softmax";
        rankAtLeast(op, "logits", logits, 2);
        sameShape(op, "logits", logits, "probs", probs);
        Pixels px = new Pixels(logits);
        float[] xs = logits.data();
        float[] ps = probs.data();
        Parallel.forRange(px.blocks, (from, to) -> {
            double[] p = new double[px.channels];
            for (int b = from; b < to; b++) {
                for (int pixel = px.start(b), end = px.end(b); pixel < end; pixel++) {
                    int base = px.base(pixel);
                    softmaxAt(xs, base, px.plane, px.channels, p);
                    for (int c = 0; c < px.channels; c++) {
                        ps[base + c * px.plane] = (float) p[c];
                    }
                }
            }
        });
    }

    /**
     * Cross-entropy with mean reduction, exactly as {@code F.cross_entropy(logits, target, weight,
     * ignore_index=ignoreIndex)}: {@code sum(w[y] * nll) / sum(w[y])} over the pixels whose target
     * is not {@code ignoreIndex}. Like PyTorch it returns NaN when every pixel is ignored (with a zero
     * gradient). {@code classWeights} may be null (all ones).
     */
    public static float crossEntropy(Tensor logits, int[] target, float[] classWeights, int ignoreIndex,
                                     Tensor gradLogits) {
        String op = "LossOp.crossEntropy";
        Pixels px = checkLoss(op, logits, target, gradLogits);
        length(op, "classWeights", classWeights, px.channels, "one per channel of logits " + logits.shapeString());
        double totalWeight = 0;
        for (int i = 0; i < target.length; i++) {
            int y = target[i];
            if (y == ignoreIndex) {
                continue;
            }
            checkTarget(op, target, i, px.channels, ignoreIndex);
            totalWeight += classWeights == null ? 1.0 : classWeights[y];
        }
        double norm = totalWeight;
        float[] xs = logits.data();
        float[] gs = gradLogits == null ? null : gradLogits.data();
        double[] partial = new double[px.blocks];
        Parallel.forRange(px.blocks, (from, to) -> {
            double[] e = new double[px.channels];
            for (int b = from; b < to; b++) {
                double sum = 0;
                for (int pixel = px.start(b), end = px.end(b); pixel < end; pixel++) {
                    int base = px.base(pixel);
                    int y = target[pixel];
                    if (y == ignoreIndex) {
                        if (gs != null) {
                            for (int c = 0; c < px.channels; c++) {
                                gs[base + c * px.plane] = 0f;
                            }
                        }
                        continue;
                    }
                    double w = classWeights == null ? 1.0 : classWeights[y];
                    float max = shiftedExps(xs, base, px.plane, px.channels, e);
                    double expSum = sum(e);
                    // nll = log(sum exp(x - max)) - (x_y - max)
                    sum += w * (Math.log(expSum) - (xs[base + y * px.plane] - (double) max));
                    if (gs != null) {
                        // d/dx_c of w*nll / norm = w/norm * (softmax_c - [c == y])
                        double scale = w / norm;
                        for (int c = 0; c < px.channels; c++) {
                            double p = e[c] / expSum;
                            gs[base + c * px.plane] = (float) (scale * (c == y ? p - 1 : p));
                        }
                    }
                }
                partial[b] = sum;
            }
        });
        double total = 0;
        for (double s : partial) {
            total += s;
        }
        return (float) (total / norm);
    }

    /** {@link #softIoU(Tensor, int[], int, Tensor)} with no ignored label. */
    public static float softIoU(Tensor logits, int[] target, Tensor gradLogits) {
        return softIoU(logits, target, Integer.MIN_VALUE, gradLogits);
    }

    /**
     * The article's soft-IoU loss: with p = softmax(logits) and g = one_hot(target), per image
     * {@code iou = (sum(g*p) + 0.001) / (sum(g + p - g*p) + 0.001)}, and the loss is
     * {@code -log(mean over images of iou)}. Every target must be a class in [0, C) or {@code ignoreIndex};
     * an ignored pixel adds to neither sum (as if cut out of the image) and gets a zero gradient.
     */
    public static float softIoU(Tensor logits, int[] target, int ignoreIndex, Tensor gradLogits) {
        String op = "LossOp.softIoU";
        Pixels px = checkLoss(op, logits, target, gradLogits);
        for (int i = 0; i < target.length; i++) {
            checkTarget(op, target, i, px.channels, ignoreIndex);
        }
        float[] xs = logits.data();
        // with a gradient wanted, the probabilities are kept in gradLogits and turned into the gradient in place
        float[] probs = gradLogits == null ? null : gradLogits.data();
        double[] intersection = new double[px.blocks];
        double[] probSum = new double[px.blocks];
        long[] counted = new long[px.blocks];
        Parallel.forRange(px.blocks, (from, to) -> {
            double[] p = new double[px.channels];
            for (int b = from; b < to; b++) {
                double inter = 0;
                double sumP = 0;
                long kept = 0;
                for (int pixel = px.start(b), end = px.end(b); pixel < end; pixel++) {
                    int base = px.base(pixel);
                    if (target[pixel] == ignoreIndex) {
                        if (probs != null) {
                            for (int c = 0; c < px.channels; c++) {
                                probs[base + c * px.plane] = 0f;
                            }
                        }
                        continue;
                    }
                    softmaxAt(xs, base, px.plane, px.channels, p);
                    for (int c = 0; c < px.channels; c++) {
                        sumP += p[c];
                        if (probs != null) {
                            probs[base + c * px.plane] = (float) p[c];
                        }
                    }
                    inter += p[target[pixel]];
                    kept++;
                }
                intersection[b] = inter;
                probSum[b] = sumP;
                counted[b] = kept;
            }
        });
        int images = px.images;
        double[] iou = new double[images];
        double[] union = new double[images];
        double meanIoU = 0;
        for (int n = 0; n < images; n++) {
            double inter = 0;
            double sumP = 0;
            long kept = 0;
            for (int b = n * px.blocksPerImage; b < (n + 1) * px.blocksPerImage; b++) {
                inter += intersection[b];
                sumP += probSum[b];
                kept += counted[b];
            }
            // sum(g) is one per counted pixel
            union[n] = kept + sumP - inter;
            iou[n] = (inter + 0.001) / (union[n] + 0.001);
            meanIoU += iou[n] / images;
        }
        if (probs != null) {
            // dL/dz_c = -(1 + iou_n) / (N * mean * (U_n + eps)) * p_c * (g_c - p_y), from the chain rule
            // through iou_n (d iou/d p = (g (1 + iou) - iou) / (U + eps)) and the softmax Jacobian
            double mean = meanIoU;
            Parallel.forRange(px.blocks, (from, to) -> {
                for (int b = from; b < to; b++) {
                    int n = b / px.blocksPerImage;
                    double coef = -(1 + iou[n]) / (images * mean * (union[n] + 0.001));
                    for (int pixel = px.start(b), end = px.end(b); pixel < end; pixel++) {
                        int y = target[pixel];
                        if (y == ignoreIndex) {
                            continue;
                        }
                        int base = px.base(pixel);
                        double py = probs[base + y * px.plane];
                        for (int c = 0; c < px.channels; c++) {
                            int i = base + c * px.plane;
                            probs[i] = (float) (coef * probs[i] * ((c == y ? 1 : 0) - py));
                        }
                    }
                }
            });
        }
        return (float) -Math.log(meanIoU);
    }

    /**
     * Soft Dice loss over the batch, as segmentation_models_pytorch's multiclass {@code DiceLoss} (smooth 0,
     * eps 1e-7): with p = softmax(logits) and g = one_hot(target) summed over every pixel that is not
     * {@code ignoreIndex}, per class {@code dice_c = 2 sum(p_c g_c) / max(sum(p_c) + sum(g_c), 1e-7)}, and the
     * loss is the mean of {@code 1 - dice_c} over the classes that occur in the targets (a class absent from
     * the batch adds nothing). It weighs a thin class as much as a large one, which cross-entropy does not.
     */
    public static float dice(Tensor logits, int[] target, int ignoreIndex, Tensor gradLogits) {
        String op = "LossOp.dice";
        Pixels px = checkLoss(op, logits, target, gradLogits);
        int channels = px.channels;
        long[] targetCount = new long[channels];
        for (int i = 0; i < target.length; i++) {
            checkTarget(op, target, i, channels, ignoreIndex);
            if (target[i] != ignoreIndex) {
                targetCount[target[i]]++;
            }
        }
        float[] xs = logits.data();
        double[][] probSum = new double[px.blocks][channels];
        double[][] interSum = new double[px.blocks][channels];
        Parallel.forRange(px.blocks, (from, to) -> {
            double[] p = new double[channels];
            for (int b = from; b < to; b++) {
                for (int pixel = px.start(b), end = px.end(b); pixel < end; pixel++) {
                    int y = target[pixel];
                    if (y == ignoreIndex) {
                        continue;
                    }
                    softmaxAt(xs, px.base(pixel), px.plane, channels, p);
                    for (int c = 0; c < channels; c++) {
                        probSum[b][c] += p[c];
                    }
                    interSum[b][y] += p[y];
                }
            }
        });
        double[] sumP = new double[channels];
        double[] inter = new double[channels];
        for (int b = 0; b < px.blocks; b++) {
            for (int c = 0; c < channels; c++) {
                sumP[c] += probSum[b][c];
                inter[c] += interSum[b][c];
            }
        }
        int present = 0;
        double loss = 0;
        double[] denominator = new double[channels];
        for (int c = 0; c < channels; c++) {
            denominator[c] = Math.max(sumP[c] + targetCount[c], 1e-7);
            if (targetCount[c] > 0) {
                present++;
                loss += 1 - 2 * inter[c] / denominator[c];
            }
        }
        if (present == 0) {
            if (gradLogits != null) {
                java.util.Arrays.fill(gradLogits.data(), 0f);
            }
            return 0f;
        }
        if (gradLogits != null) {
            // dL/dp_c(i) = -(1/K) (2 g_c(i) D_c - 2 I_c) / D_c^2 for present classes c (K of them); then through
            // the softmax: dL/dz_k = p_k (a_k - sum_c a_c p_c)
            int k = present;
            float[] gs = gradLogits.data();
            Parallel.forRange(px.blocks, (from, to) -> {
                double[] p = new double[channels];
                double[] a = new double[channels];
                for (int b = from; b < to; b++) {
                    for (int pixel = px.start(b), end = px.end(b); pixel < end; pixel++) {
                        int base = px.base(pixel);
                        int y = target[pixel];
                        if (y == ignoreIndex) {
                            for (int c = 0; c < channels; c++) {
                                gs[base + c * px.plane] = 0f;
                            }
                            continue;
                        }
                        softmaxAt(xs, base, px.plane, channels, p);
                        double weighted = 0;
                        for (int c = 0; c < channels; c++) {
                            a[c] = targetCount[c] == 0 ? 0
                                    : -((c == y ? 2 * denominator[c] : 0) - 2 * inter[c]) / (k * denominator[c] * denominator[c]);
                            weighted += a[c] * p[c];
                        }
                        for (int c = 0; c < channels; c++) {
                            gs[base + c * px.plane] = (float) (p[c] * (a[c] - weighted));
                        }
                    }
                }
            });
        }
        return (float) (loss / present);
    }

    private static Pixels checkLoss(String op, Tensor logits, int[] target, Tensor gradLogits) {
        rankAtLeast(op, "logits", logits, 2);
        if (gradLogits != null) {
            sameShape(op, "logits", logits, "gradLogits", gradLogits);
        }
        Pixels px = new Pixels(logits);
        length(op, "target", required(op, "target", target), px.images * px.plane,
                "one class index per pixel of logits " + logits.shapeString());
        if (px.channels == 0) {
            throw fail(op, "logits " + logits.shapeString() + " have no classes");
        }
        return px;
    }

    private static void checkTarget(String op, int[] target, int i, int channels, int ignoreIndex) {
        int y = target[i];
        if (y != ignoreIndex && (y < 0 || y >= channels)) {
            throw fail(op, "target " + y + " at pixel " + i + " is outside [0, " + channels + ")"
                    + (ignoreIndex == Integer.MIN_VALUE ? "" : " and is not the ignore index " + ignoreIndex));
        }
    }

    /** e[c] = exp(x_c - max) for one pixel's channels; returns the max, whose subtraction keeps exp finite. */
    private static float shiftedExps(float[] x, int base, int stride, int channels, double[] e) {
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < channels; c++) {
            max = Math.max(max, x[base + c * stride]);
        }
        for (int c = 0; c < channels; c++) {
            e[c] = Math.exp(x[base + c * stride] - (double) max);
        }
        return max;
    }

    private static double sum(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s;
    }

    /** Softmax of one pixel's channels into a dense array. */
    private static void softmaxAt(float[] x, int base, int stride, int channels, double[] probs) {
        shiftedExps(x, base, stride, channels, probs);
        double sum = sum(probs);
        for (int c = 0; c < channels; c++) {
            probs[c] /= sum;
        }
    }

    /** The pixel grid of an [N, C, ...] tensor, cut into blocks that never straddle two images. */
    private static final class Pixels {
        final int images;
        final int channels;
        final int plane;
        final int blocksPerImage;
        final int blocks;

        Pixels(Tensor t) {
            images = t.dim(0);
            channels = t.dim(1);
            plane = planeSize(t);
            blocksPerImage = Math.max(1, (plane + BLOCK - 1) / BLOCK);
            blocks = images * blocksPerImage;
        }

        int start(int block) {
            return (block / blocksPerImage) * plane + (block % blocksPerImage) * BLOCK;
        }

        int end(int block) {
            int image = block / blocksPerImage;
            return Math.min((image + 1) * plane, start(block) + BLOCK);
        }

        /** Offset of channel 0 of a pixel (pixel = n * plane + s). */
        int base(int pixel) {
            int n = pixel / plane;
            return n * channels * plane + (pixel - n * plane);
        }
    }
}
