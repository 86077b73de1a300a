package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training's convs through Winograd ({@link ConvOp} with a {@link WinogradPolicy}): the forward, the input gradient
 * (a Winograd conv of gradOut with the flipped weights) and the weight gradient (the forward's adjoint, in the
 * Winograd domain) meet the definition in double precision ({@link ConvReference}) within the golden files'
 * tolerance on shapes with up to 512 channels, as direct convolution does, and their finite differences.
 */
class WinogradTrainingTest {
    private static final double RTOL = 1e-4;
    private static final double ATOL = 1e-5;

    /** {n, c, k, h, w, pad}: tiles that do not divide the output, padding 0 to 2, long sums over c, k or pixels. */
    private static final int[][] SHAPES = {
            {2, 8, 16, 16, 16, 1}, {2, 5, 3, 9, 11, 0}, {1, 4, 4, 5, 6, 2}, {1, 64, 16, 32, 32, 1},
            {1, 16, 256, 12, 12, 1}, {1, 256, 8, 16, 16, 1}, {1, 512, 4, 8, 8, 1}, {4, 64, 64, 24, 20, 1}};

    @Test
    void forwardAndGradientsMatchTheDefinitionWithinTheGoldenTolerance() {
        for (int[] shape : SHAPES) {
            Case c = new Case(shape);
            double[] direct = c.worstRatios(WinogradPolicy.NEVER);
            for (WinogradConv.Tile tile : WinogradConv.Tile.values()) {
                double[] wino = c.worstRatios(WinogradPolicy.always(tile));
                System.out.printf("%s %s: out/gradX/gradW %.3f %.3f %.3f of the tolerance (direct %.3f %.3f %.3f)%n",
                        tile, java.util.Arrays.toString(shape), wino[0], wino[1], wino[2], direct[0], direct[1],
                        direct[2]);
                String[] names = {"output", "gradX", "gradW"};
                for (int i = 0; i < 3; i++) {
                    assertTrue(wino[i] <= 1, tile + " " + java.util.Arrays.toString(shape) + " " + names[i] + ": "
                            + wino[i] + " of the tolerance");
                }
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        for (WinogradConv.Tile tile : WinogradConv.Tile.values()) {
            for (int pad = 0; pad <= 2; pad++) {
                ConvSpec s = ConvSpec.of(6, 7, 3, 1, pad, 1);
                int[] xShape = {2, 6, 9, 7};
                Random r = new Random(31L * pad + tile.m);
                Tensor x = new Tensor(Tensors.gaussian(r, 2 * 6 * 9 * 7), xShape);
                Tensor w = new Tensor(Tensors.gaussian(r, 7 * 6 * 9), s.weightShape());
                Tensor b = new Tensor(Tensors.gaussian(r, 7), 7);
                int[] outShape = s.outputShape(xShape);
                Tensor out = Tensor.zeros(outShape);
                float[] lossWeights = GradCheck.randomWeights(out.size(), 7);
                Tensor gradX = Tensor.full(Float.NaN, xShape);
                Tensor gradW = Tensor.zeros(s.weightShape());
                WinogradPolicy policy = WinogradPolicy.always(tile);
                ConvOp.backward(s, x, w, new Tensor(lossWeights.clone(), outShape), gradX, gradW, null, policy);
                java.util.function.DoubleSupplier loss = () -> {
                    ConvOp.forward(s, x, w, b, out, policy);
                    return GradCheck.weightedSum(out.data(), lossWeights);
                };
                GradCheck.check(tile + " pad " + pad + " gradX", x.data(), gradX.data(), loss, 60, 1);
                GradCheck.check(tile + " pad " + pad + " gradW", w.data(), gradW.data(), loss, 60, 2);
            }
        }
    }

    @Test
    void theWeightGradientAccumulatesAndIsTheSameOnEachRun() {
        ConvSpec s = ConvSpec.of(16, 24, 3, 1, 1, 1);
        Tensor x = Tensors.gaussian(5, 3, 16, 20, 18);
        Tensor g = Tensors.gaussian(6, 3, 24, 20, 18);
        Tensor w = Tensors.gaussian(7, s.weightShape());
        WinogradPolicy policy = WinogradPolicy.always(WinogradConv.Tile.F4);
        Tensor once = Tensor.zeros(s.weightShape());
        ConvOp.backward(s, x, w, g, null, once, null, policy);
        Tensor twice = Tensor.zeros(s.weightShape());
        ConvOp.backward(s, x, w, g, null, twice, null, policy);
        ConvOp.backward(s, x, w, g, null, twice, null, policy);
        for (int i = 0; i < once.size(); i++) {
            assertEquals(2 * once.data()[i], twice.data()[i], 1e-5f * Math.abs(once.data()[i]) + 1e-6f, "weight " + i);
        }
        Tensor again = Tensor.zeros(s.weightShape());
        ConvOp.backward(s, x, w, g, null, again, null, policy);
        assertArrayEquals(once.data(), again.data(), "the same sums in the same order");
    }

    @Test
    void theWeightGradientIsTheSameForAGivenThreadCount() {
        ConvSpec s = ConvSpec.of(16, 16, 3, 1, 1, 1);
        Tensor x = Tensors.gaussian(8, 5, 16, 24, 24);
        Tensor g = Tensors.gaussian(9, 5, 16, 24, 24);
        Tensor w = Tensors.gaussian(10, s.weightShape());
        int before = Parallel.threads();
        try {
            Parallel.setThreads(2);
            Tensor first = Tensor.zeros(s.weightShape());
            ConvOp.backward(s, x, w, g, null, first, null, WinogradPolicy.always(WinogradConv.Tile.F2));
            Parallel.setThreads(1);
            ConvOp.backward(s, x, w, g, null, Tensor.zeros(s.weightShape()), null,
                    WinogradPolicy.always(WinogradConv.Tile.F2));
            Parallel.setThreads(2);
            Tensor second = Tensor.zeros(s.weightShape());
            ConvOp.backward(s, x, w, g, null, second, null, WinogradPolicy.always(WinogradConv.Tile.F2));
            assertArrayEquals(first.data(), second.data());
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void thePolicyIsAskedOnlyForConvsWinogradComputes() {
        ConvSpec strided = ConvSpec.of(8, 8, 3, 2, 1, 1);
        Tensor x = Tensors.gaussian(11, 1, 8, 9, 9);
        Tensor w = Tensors.gaussian(12, strided.weightShape());
        Tensor out = Tensor.zeros(strided.outputShape(x.shape()));
        // A policy that names a tile for every conv: the strided one still runs direct, and right.
        ConvOp.forward(strided, x, w, null, out, (spec, n, h, ww) -> WinogradConv.Tile.F4);
        assertArrayEquals(ConvReference.forward(strided, x.data(), x.shape(), w.data(), null), out.data(), 1e-4f);
        assertNull(WinogradPolicy.NEVER.tile(ConvSpec.of(64, 64, 3, 1, 1, 1), 16, 128, 128));
        assertEquals(WinogradConv.Tile.F4, WinogradPolicy.COST_MODEL.tile(ConvSpec.of(64, 64, 3, 1, 1, 1), 16, 128, 128));
    }

    /** One shape's random input, Kaiming-scale weights, bias and gradOut, and the definition's results. */
    private static final class Case {
        final ConvSpec spec;
        final Tensor x;
        final Tensor w;
        final Tensor b;
        final Tensor g;
        final float[] out;
        final float[][] grads;

        Case(int[] p) {
            int n = p[0], c = p[1], k = p[2], h = p[3], wd = p[4], pad = p[5];
            spec = ConvSpec.of(c, k, 3, 1, pad, 1);
            x = Tensors.gaussian(h * 31 + wd + c, n, c, h, wd);
            w = new Tensor(Tensors.gaussian(c + k, k * c * 9, 0, (float) Math.sqrt(2.0 / (9 * c))), spec.weightShape());
            b = new Tensor(Tensors.gaussian(k, k, 0, 0.5f), k);
            g = Tensors.gaussian(n + 7L * k, spec.outputShape(x.shape()));
            out = ConvReference.forward(spec, x.data(), x.shape(), w.data(), b.data());
            grads = ConvReference.backward(spec, x.data(), x.shape(), w.data(), g.data());
        }

        /** The largest errors of output, gradX and gradW, as fractions of the golden tolerance. */
        double[] worstRatios(WinogradPolicy policy) {
            Tensor o = Tensor.full(Float.NaN, spec.outputShape(x.shape()));
            ConvOp.forward(spec, x, w, b, o, policy);
            Tensor gx = Tensor.full(Float.NaN, x.shape());
            Tensor gw = Tensor.zeros(spec.weightShape());
            ConvOp.backward(spec, x, w, g, gx, gw, null, policy);
            return new double[] {worst(o.data(), out), worst(gx.data(), grads[0]), worst(gw.data(), grads[1])};
        }

        /**
         * The golden tolerance on the tensor scaled to unit RMS. The forward's outputs are of order one (Kaiming
         * weights), but with gradOut of order one the gradients are sums of hundreds of terms, tens in size, where
         * the tolerance's absolute part would be tighter than float32 itself (direct convolution's weight gradient
         * missed it by 5 times); everything here is linear in gradOut, so this is the error the gradient would have
         * with gradOut scaled to make it of order one.
         */
        private static double worst(float[] got, float[] expected) {
            double squares = 0;
            for (float e : expected) {
                squares += (double) e * e;
            }
            double scale = Math.sqrt(squares / expected.length);
            double worst = 0;
            for (int i = 0; i < expected.length; i++) {
                double err = Math.abs(got[i] - expected[i]) / scale;
                double ratio = Double.isNaN(err) ? Double.POSITIVE_INFINITY
                        : err / (ATOL + RTOL * Math.abs(expected[i]) / scale);
                worst = Math.max(worst, ratio);
            }
            return worst;
        }
    }
}
