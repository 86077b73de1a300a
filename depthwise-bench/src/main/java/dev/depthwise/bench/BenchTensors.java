package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;

import java.util.Random;

/** Seeded inputs and output comparison, shared by the benchmarks and the export tests. */
final class BenchTensors {
    private BenchTensors() {
    }

    /** A seeded standard-normal NCHW batch. */
    static Tensor randomInput(int n, int c, int h, int w) {
        return randomInput(n, c, h, w, 42);
    }

    static Tensor randomInput(int n, int c, int h, int w, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n * c * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return new Tensor(x, n, c, h, w);
    }

    /** The largest |a[i] - b[i]|; infinite when the sizes differ. */
    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
