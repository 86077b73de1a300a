package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;

import java.util.Random;

/** Seeded test inputs. */
final class Tensors {
    private Tensors() {
    }

    static Tensor gaussian(long seed, int... shape) {
        Tensor t = Tensor.zeros(shape);
        Random r = new Random(seed);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
        return t;
    }

    /** n standard normal values drawn from r, so a test can take several arrays from one stream. */
    static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    static float[] gaussian(long seed, int n, float mean, float std) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = mean + std * (float) r.nextGaussian();
        }
        return a;
    }

    /** Distinct values at least 0.1 apart in random order, so max-pooling has no near ties. */
    static Tensor distinct(long seed, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        Random r = new Random(seed);
        for (int i = 0; i < d.length; i++) {
            d[i] = 0.1f * i;
        }
        for (int i = d.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float tmp = d[i];
            d[i] = d[j];
            d[j] = tmp;
        }
        return t;
    }

    static int[] classes(long seed, int n, int classes) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(classes);
        }
        return t;
    }
}
