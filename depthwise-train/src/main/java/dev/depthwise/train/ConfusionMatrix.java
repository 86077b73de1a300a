package dev.depthwise.train;

import dev.depthwise.data.Mask;

import java.util.Arrays;

/**
 * A multiclass confusion matrix accumulated over a dataset: {@code count(t, p)} is the number of
 * pixels whose target class is {@code t} and whose predicted class is {@code p} (rows = targets,
 * columns = predictions, as torchmetrics' {@code MulticlassConfusionMatrix}). A pixel whose target is
 * {@link Mask#IGNORE} is not counted ({@code ignore_index=255}).
 */
public final class ConfusionMatrix {
    private final int numClasses;
    private final long[] counts;

    public ConfusionMatrix(int numClasses) {
        if (numClasses < 2) {
            throw new IllegalArgumentException("a confusion matrix needs at least 2 classes, got " + numClasses);
        }
        this.numClasses = numClasses;
        this.counts = new long[numClasses * numClasses];
    }

    public int numClasses() {
        return numClasses;
    }

    /** Adds one pixel (or sample) per index: {@code target[i]} against {@code predicted[i]}; ignored targets are left out. */
    public void update(int[] predicted, int[] target) {
        if (predicted.length != target.length) {
            throw new IllegalArgumentException("confusion matrix: " + predicted.length + " predictions for "
                    + target.length + " targets");
        }
        for (int i = 0; i < target.length; i++) {
            int t = target[i];
            int p = predicted[i];
            if (t == Mask.IGNORE) {
                continue;
            }
            if (t < 0 || t >= numClasses || p < 0 || p >= numClasses) {
                throw new IllegalArgumentException("confusion matrix: class outside [0, " + numClasses
                        + ") at index " + i + " (target " + t + ", prediction " + p + ")");
            }
            counts[t * numClasses + p]++;
        }
    }

    /** Adds another matrix's counts into this one. */
    public void add(ConfusionMatrix other) {
        if (other.numClasses != numClasses) {
            throw new IllegalArgumentException("cannot add a " + other.numClasses + "-class confusion matrix to a "
                    + numClasses + "-class one");
        }
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
    }

    public long count(int target, int predicted) {
        return counts[target * numClasses + predicted];
    }

    /** Pixels whose target is {@code c} (the row sum). */
    public long targetCount(int c) {
        long s = 0;
        for (int p = 0; p < numClasses; p++) {
            s += count(c, p);
        }
        return s;
    }

    /** Pixels predicted as {@code c} (the column sum). */
    public long predictedCount(int c) {
        long s = 0;
        for (int t = 0; t < numClasses; t++) {
            s += count(t, c);
        }
        return s;
    }

    public long total() {
        return Arrays.stream(counts).sum();
    }

    public long correct() {
        long s = 0;
        for (int c = 0; c < numClasses; c++) {
            s += count(c, c);
        }
        return s;
    }

    /** The matrix as rows of targets, for reports and JSON. */
    public long[][] toArray() {
        long[][] rows = new long[numClasses][];
        for (int t = 0; t < numClasses; t++) {
            rows[t] = Arrays.copyOfRange(counts, t * numClasses, (t + 1) * numClasses);
        }
        return rows;
    }

    public void reset() {
        Arrays.fill(counts, 0);
    }
}
