package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;

import java.util.random.RandomGenerator;

/** Weight initialisers as {@code torch.nn.init}, drawing from a caller-seeded generator. */
public final class Init {
    private Init() {
    }

    /** Fan-in and fan-out of a weight as PyTorch computes them: dims 1 and 0 times the receptive field. */
    public static int fanIn(Tensor w) {
        return w.dim(1) * receptiveField(w);
    }

    public static int fanOut(Tensor w) {
        return w.dim(0) * receptiveField(w);
    }

    private static int receptiveField(Tensor w) {
        int r = 1;
        for (int i = 2; i < w.rank(); i++) {
            r *= w.dim(i);
        }
        return r;
    }

    public static void normal(Tensor t, double std, RandomGenerator rng) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rng.nextGaussian() * std);
        }
    }

    public static void uniform(Tensor t, double bound, RandomGenerator rng) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
    }

    /** {@code kaiming_normal_(mode='fan_out', nonlinearity='relu')}: std = sqrt(2 / fan_out). */
    public static void kaimingNormalFanOut(Tensor w, RandomGenerator rng) {
        normal(w, Math.sqrt(2.0 / fanOut(w)), rng);
    }

    /**
     * PyTorch's default for Conv2d and Linear weights, {@code kaiming_uniform_(a=sqrt(5))}, which works
     * out to U(-1/sqrt(fan_in), 1/sqrt(fan_in)); biases use the same bound.
     */
    public static void pytorchDefault(Tensor w, Tensor bias, RandomGenerator rng) {
        double bound = 1.0 / Math.sqrt(fanIn(w));
        uniform(w, bound, rng);
        if (bias != null) {
            uniform(bias, bound, rng);
        }
    }
}
