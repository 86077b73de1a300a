package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FusedConv and PreparedOps compute what the general ops compute, in one step. */
class FusedConvTest {
    private static final float TOLERANCE = 1e-5f;

    @Test
    void everyPathMatchesConvThenEpilogue() {
        // pointwise (many and few pixels: the latter splits output channels), 3x3 dense, depthwise s1/s2, grouped
        check(ConvSpec.of(16, 40, 1, 1, 0, 1), 2, 20, 20, Activation.RELU6, true);
        check(ConvSpec.of(64, 200, 1, 1, 0, 1), 1, 7, 7, Activation.NONE, true);
        check(ConvSpec.of(3, 16, 3, 2, 1, 1), 1, 33, 31, Activation.RELU6, false);
        check(ConvSpec.of(8, 8, 3, 1, 1, 1), 2, 17, 19, Activation.RELU, true);
        check(ConvSpec.of(24, 24, 3, 1, 1, 24), 1, 21, 37, Activation.RELU6, false);
        check(ConvSpec.of(24, 24, 3, 2, 1, 24), 2, 22, 23, Activation.RELU, true);
        check(ConvSpec.of(16, 16, 3, 2, 1, 16), 1, 35, 70, Activation.RELU6, false); // 2 vectors + tail
        check(ConvSpec.of(8, 12, 3, 1, 1, 4), 1, 9, 9, Activation.NONE, true);
    }

    @Test
    void fewOutputPointwiseConvsMatchConvOp() {
        // The few-outputs path: 1, 2, 3 and 5 outputs (one and two groups of four rows), with bias, residual and
        // ReLU6; planes that are whole 2L-pixel tiles, that end in a scalar tail, and that span several chunks;
        // k deeper than one GEMM block (the existing path sums that in two passes).
        int before = Parallel.threads();
        try {
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                for (int cout : new int[] {1, 2, 3, 5}) {
                    check(ConvSpec.of(64, cout, 1, 1, 0, 1), 1, 16, 16, Activation.RELU6, true);
                    check(ConvSpec.of(64, cout, 1, 1, 0, 1), 2, 37, 41, Activation.RELU6, true);
                    check(ConvSpec.of(7, cout, 1, 1, 0, 1), 1, 3, 5, Activation.RELU6, true);
                    check(ConvSpec.of(300, cout, 1, 1, 0, 1), 1, 9, 9, Activation.RELU6, true);
                }
            }
            check(ConvSpec.of(64, 3, 1, 1, 0, 1), 1, 128, 128, Activation.NONE, false);
            check(ConvSpec.of(16, FusedConv.FEW_OUTPUTS, 1, 1, 0, 1), 1, 20, 20, Activation.RELU, true);
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void prePackedWeightsMatchAtEveryThreadCount() {
        // The dense convs multiply weights packed once at prepare time: k deeper than one packed block (256), more
        // output channels than one packed row block (128) and not a multiple of the 8-row tile, planes of 1x1,
        // 7x7 and widths not a multiple of 16, and an im2col conv whose k (32*9 = 288) spans two blocks.
        int before = Parallel.threads();
        try {
            for (int threads = 1; threads <= 3; threads++) {
                Parallel.setThreads(threads);
                check(ConvSpec.of(300, 150, 1, 1, 0, 1), 1, 7, 7, Activation.RELU6, true);
                check(ConvSpec.of(300, 150, 1, 1, 0, 1), 2, 1, 1, Activation.NONE, false);
                check(ConvSpec.of(40, 13, 1, 1, 0, 1), 1, 5, 13, Activation.RELU, true);
                check(ConvSpec.of(32, 20, 3, 1, 1, 1), 1, 9, 11, Activation.RELU6, false);
                check(ConvSpec.of(3, 32, 3, 2, 1, 1), 1, 29, 35, Activation.RELU6, false);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    private static void check(ConvSpec s, int n, int h, int w, Activation act, boolean withResidual) {
        SplittableRandom rng = new SplittableRandom(s.hashCode() + n);
        Tensor x = random(rng, n, s.inChannels(), h, w);
        Tensor weight = random(rng, s.weightShape());
        Tensor bias = random(rng, s.outChannels());
        int[] outShape = s.outputShape(x.shape());
        Tensor residual = withResidual ? random(rng, outShape) : null;
        Tensor expected = Tensor.zeros(outShape);
        ConvOp.forward(s, x, weight, bias, expected);
        if (residual != null) {
            ElementwiseOp.add(expected, residual, expected);
        }
        if (act == Activation.RELU) {
            ActivationOp.reluInPlace(expected);
        } else if (act == Activation.RELU6) {
            ActivationOp.relu6InPlace(expected);
        }
        Tensor out = Tensor.full(Float.NaN, outShape);
        FusedConv conv = FusedConv.prepare(s, x, weight, bias, residual, out, act);
        for (int round = 0; round < 2; round++) {
            conv.run();
            for (int i = 0; i < out.size(); i++) {
                assertEquals(expected.data()[i], out.data()[i], TOLERANCE * Math.max(1, Math.abs(expected.data()[i])),
                        s + " element " + i);
            }
        }
    }

    @Test
    void badShapesAreNamed() {
        ConvSpec s = ConvSpec.of(4, 8, 3, 1, 1, 1);
        Tensor x = Tensor.zeros(1, 4, 8, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> FusedConv.prepare(s, x,
                Tensor.zeros(s.weightShape()), null, null, Tensor.zeros(1, 8, 8, 7), Activation.NONE));
        assertTrue(e.getMessage().contains("[1, 8, 8, 7]") && e.getMessage().contains("[1, 8, 8, 8]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FusedConv.prepare(s, x, Tensor.zeros(8, 4, 1, 1), null,
                null, Tensor.zeros(1, 8, 8, 8), Activation.NONE));
    }

    @Test
    void preparedOpsMatchTheGeneralOps() {
        SplittableRandom rng = new SplittableRandom(5);
        Tensor x = random(rng, 2, 3, 9, 34);
        Tensor pooled = Tensor.zeros(PoolOp.maxPoolOutputShape(x.shape(), 2, 2));
        Tensor pooledRef = Tensor.zeros(pooled.shape());
        int[] idx = new int[pooled.size()];
        int[] idxRef = new int[pooled.size()];
        PreparedOps.maxPool(x, 2, 2, pooled, idx).run();
        PoolOp.maxPool(x, 2, 2, pooledRef, idxRef);
        assertArraysEqual(pooledRef.data(), pooled.data());
        assertEquals(java.util.Arrays.toString(idxRef), java.util.Arrays.toString(idx));

        Tensor unpooled = Tensor.full(7f, x.shape());
        Tensor unpooledRef = Tensor.zeros(x.shape());
        PreparedOps.maxUnpool(pooled, idx, unpooled).run();
        PoolOp.maxUnpool(pooledRef, idxRef, unpooledRef);
        assertArraysEqual(unpooledRef.data(), unpooled.data());

        Tensor avg = Tensor.zeros(2, 3, 1, 1);
        Tensor avgRef = Tensor.zeros(2, 3, 1, 1);
        PreparedOps.globalAvgPool(x, avg).run();
        PoolOp.globalAvgPool(x, avgRef);
        assertArraysEqual(avgRef.data(), avg.data());

        float[] gamma = {0.5f, 1f, 2f}, beta = {0.1f, 0f, -1f}, mean = {0.2f, -0.1f, 0f}, var = {1.5f, 0.5f, 2f};
        Tensor bn = Tensor.zeros(x.shape());
        Tensor bnRef = Tensor.zeros(x.shape());
        PreparedOps.batchNormEval(x, gamma, beta, mean, var, 1e-5f, bn).run();
        BatchNormOp.forwardEval(x, gamma, beta, mean, var, 1e-5f, bnRef);
        assertArraysEqual(bnRef.data(), bn.data());

        Tensor sum = Tensor.zeros(x.shape());
        Tensor sumRef = Tensor.zeros(x.shape());
        PreparedOps.add(x, bn, sum).run();
        ElementwiseOp.add(x, bnRef, sumRef);
        assertArraysEqual(sumRef.data(), sum.data());

        Tensor in = random(rng, 2, 40);
        Tensor w = random(rng, 7, 40);
        Tensor b = random(rng, 7);
        Tensor lin = Tensor.zeros(2, 7);
        Tensor linRef = Tensor.zeros(2, 7);
        PreparedOps.linear(in, w, b, lin).run();
        LinearOp.forward(in, w, b, linRef);
        assertArraysEqual(linRef.data(), lin.data());

        Tensor up = Tensor.zeros(2, 3, 18, 68);
        Tensor upRef = Tensor.zeros(2, 3, 18, 68);
        PreparedOps.bilinear(x, up).run();
        UpsampleOp.bilinear(x, upRef);
        assertArraysEqual(upRef.data(), up.data());
        PreparedOps.nearest(x, up).run();
        UpsampleOp.nearest(x, upRef);
        assertArraysEqual(upRef.data(), up.data());

        Tensor cat = Tensor.zeros(2, 6, 9, 34);
        Tensor catRef = Tensor.zeros(2, 6, 9, 34);
        PreparedOps.concatChannels(new Tensor[] {x, bn}, cat).run();
        ElementwiseOp.concatChannels(new Tensor[] {x, bnRef}, catRef);
        assertArraysEqual(catRef.data(), cat.data());
    }

    @Test
    void linearAtBatchOneMatchesAtEveryThreadCount() {
        // Batch 1 is the matrix-vector path: rows split across threads in 4s plus leftover rows, and an input
        // length that is not a whole number of vectors; with and without bias.
        SplittableRandom rng = new SplittableRandom(11);
        int before = Parallel.threads();
        try {
            for (int threads = 1; threads <= 3; threads++) {
                Parallel.setThreads(threads);
                for (int[] size : new int[][] {{1283, 37}, {40, 7}, {3, 1}, {2048, 1000}}) {
                    Tensor in = random(rng, 1, size[0]);
                    Tensor w = random(rng, size[1], size[0]);
                    Tensor b = threads == 2 ? null : random(rng, size[1]);
                    Tensor lin = Tensor.full(Float.NaN, 1, size[1]);
                    Tensor linRef = Tensor.zeros(1, size[1]);
                    Runnable step = PreparedOps.linear(in, w, b, lin);
                    LinearOp.forward(in, w, b, linRef);
                    for (int round = 0; round < 2; round++) {
                        step.run();
                        for (int o = 0; o < size[1]; o++) {
                            // Sums in another order differ by rounding that grows with the sum of |w x|, not |out|.
                            double scale = 1;
                            for (int k = 0; k < size[0]; k++) {
                                scale += Math.abs(w.data()[o * size[0] + k] * in.data()[k]);
                            }
                            assertEquals(linRef.data()[o], lin.data()[o], 1e-6 * scale, size[0] + " inputs, row " + o);
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    private static void assertArraysEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], TOLERANCE * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    private static Tensor random(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = (float) rng.nextDouble(-1, 1);
        }
        return t;
    }
}
