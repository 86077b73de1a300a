package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Winograd convolution computes the conv within the golden files' tolerance (1e-4 relative, 1e-5 absolute, as
 * {@code torch.allclose}), against the definition in double precision, at shapes whose tiles do not divide the
 * output, with padding 0 to 2, and with many input channels (the error grows with the sum's length). Weights are
 * at Kaiming scale (std sqrt(2 / 9C)), as in a trained or freshly initialised network, so outputs are of order one.
 */
class WinogradConvTest {
    private static final double RTOL = 1e-4;
    private static final double ATOL = 1e-5;

    /** {n, c, k, h, w, pad} */
    private static final int[][] SHAPES = {
            {1, 3, 5, 9, 11, 1}, {2, 8, 16, 16, 16, 1}, {1, 16, 8, 13, 7, 0}, {1, 4, 4, 5, 6, 2},
            {1, 64, 16, 32, 32, 1}, {1, 256, 8, 16, 16, 1}, {1, 512, 4, 8, 8, 1}, {3, 5, 3, 1, 1, 1}};

    @Test
    void bothTilesMatchTheDefinitionWithinTheGoldenTolerance() {
        for (WinogradConv.Tile tile : WinogradConv.Tile.values()) {
            for (int[] shape : SHAPES) {
                check(tile, shape, Activation.NONE);
            }
        }
    }

    @Test
    void theChannelBlockedFormComputesTheSame() {
        for (WinogradConv.Tile tile : WinogradConv.Tile.values()) {
            for (int[] shape : SHAPES) {
                checkBlocked(tile, shape, Activation.NONE);
            }
            checkBlocked(tile, new int[] {2, ChannelBlocks.SIZE + 3, 2 * ChannelBlocks.SIZE - 1, 11, 14, 1},
                    Activation.RELU6);
        }
    }

    @Test
    void biasAndActivationAreApplied() {
        check(WinogradConv.Tile.F4, new int[] {1, 8, 8, 12, 12, 1}, Activation.RELU);
        check(WinogradConv.Tile.F2, new int[] {1, 8, 8, 12, 12, 1}, Activation.RELU6);
    }

    @Test
    void theSameOnAnyThreadCount() {
        ConvSpec spec = ConvSpec.of(16, 16, 3, 1, 1, 1);
        Tensor x = Tensors.gaussian(3, 2, 16, 40, 40);
        Tensor w = weights(spec, 4);
        Tensor one = Tensor.zeros(2, 16, 40, 40);
        Tensor two = Tensor.zeros(2, 16, 40, 40);
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            WinogradConv.prepare(spec, WinogradConv.Tile.F4, x, w, null, one, Activation.NONE).run();
            Parallel.setThreads(2);
            WinogradConv.prepare(spec, WinogradConv.Tile.F4, x, w, null, two, Activation.NONE).run();
        } finally {
            Parallel.setThreads(before);
        }
        assertArrayEquals(one.data(), two.data());
    }

    /**
     * The blocked form runs a batch with few chunks (one 16x16 image is one) stage by stage across the team, and a
     * batch with many chunk by chunk: both give the one-thread result, bit for bit.
     */
    @Test
    void theBlockedFormIsTheSameOnAnyThreadCount() {
        ConvSpec spec = ConvSpec.of(24, 20, 3, 1, 1, 1);
        for (int[] shape : new int[][] {{1, 24, 16, 16}, {1, 24, 30, 9}, {3, 24, 40, 40}}) {
            Tensor x = Tensors.gaussian(shape[2], shape);
            Tensor xBlocked = Tensor.zeros(ChannelBlocks.shape(shape));
            ChannelBlocks.toBlocked(x, xBlocked).run();
            Tensor w = weights(spec, 4);
            int[] outShape = ChannelBlocks.shape(spec.outputShape(shape));
            int before = Parallel.threads();
            try {
                Parallel.setThreads(1);
                Tensor expected = Tensor.full(Float.NaN, outShape);
                BlockedWinogradConv.prepare(spec, WinogradConv.Tile.F4, xBlocked, w, null, expected, Activation.RELU)
                        .run();
                for (int threads : new int[] {2, 3}) {
                    Parallel.setThreads(threads);
                    Tensor out = Tensor.full(Float.NaN, outShape);
                    BlockedWinogradConv.prepare(spec, WinogradConv.Tile.F4, xBlocked, w, null, out, Activation.RELU)
                            .run();
                    assertArrayEquals(expected.data(), out.data(),
                            java.util.Arrays.toString(shape) + ", " + threads + " threads");
                }
            } finally {
                Parallel.setThreads(before);
            }
        }
    }

    @Test
    void refusesWhatItCannotComputeNamingTheFault() {
        Tensor x = Tensor.zeros(1, 4, 8, 8);
        IllegalArgumentException strided = assertThrows(IllegalArgumentException.class, () -> WinogradConv.prepare(
                ConvSpec.of(4, 4, 3, 2, 1, 1), WinogradConv.Tile.F4, x, Tensor.zeros(4, 4, 3, 3), null,
                Tensor.zeros(1, 4, 4, 4), Activation.NONE));
        assertTrue(strided.getMessage().contains("stride 1"), strided.getMessage());
        IllegalArgumentException weight = assertThrows(IllegalArgumentException.class, () -> WinogradConv.prepare(
                ConvSpec.of(4, 4, 3, 1, 1, 1), WinogradConv.Tile.F4, x, Tensor.zeros(4, 4, 1, 1), null,
                Tensor.zeros(1, 4, 8, 8), Activation.NONE));
        assertTrue(weight.getMessage().contains("weight has shape [4, 4, 1, 1]"), weight.getMessage());
    }

    @Test
    void theCostModelChoosesPerLayer() {
        assertEquals(null, WinogradConv.choose(ConvSpec.of(64, 64, 3, 2, 1, 1), 1, 128, 128), "stride 2");
        assertEquals(null, WinogradConv.choose(ConvSpec.of(64, 64, 1, 1, 0, 1), 1, 128, 128), "1x1");
        assertEquals(null, WinogradConv.choose(ConvSpec.of(64, 64, 3, 1, 1, 64), 1, 128, 128), "depthwise");
        // Few channels: the transforms cost more than the multiplications they save.
        assertEquals(null, WinogradConv.choose(ConvSpec.of(3, 8, 3, 1, 1, 1), 1, 128, 128));
        // SegNet's encoder: 64 channels at 128x128 and 256 at 32x32 take the larger tile.
        assertEquals(WinogradConv.Tile.F4, WinogradConv.choose(ConvSpec.of(64, 64, 3, 1, 1, 1), 1, 128, 128));
        assertEquals(WinogradConv.Tile.F4, WinogradConv.choose(ConvSpec.of(256, 256, 3, 1, 1, 1), 1, 32, 32));
        assertEquals(WinogradConv.Tile.F4, BlockedWinogradConv.choose(ConvSpec.of(64, 64, 3, 1, 1, 1), 1, 128, 128));
        assertEquals(null, BlockedWinogradConv.choose(ConvSpec.of(64, 64, 3, 2, 1, 1), 1, 128, 128), "stride 2");
        // 2x2 pixels: a 4x4 tile would be mostly padding.
        assertTrue(WinogradConv.relativeCost(ConvSpec.of(512, 512, 3, 1, 1, 1), WinogradConv.Tile.F4, 1, 2, 2)
                > WinogradConv.relativeCost(ConvSpec.of(512, 512, 3, 1, 1, 1), WinogradConv.Tile.F2, 1, 2, 2));
    }

    /** The blocked op on the blocked input, compared in NCHW: as {@link #check}, and padding channels stay zero. */
    private static void checkBlocked(WinogradConv.Tile tile, int[] p, Activation activation) {
        int n = p[0], c = p[1], k = p[2], h = p[3], w = p[4], pad = p[5];
        ConvSpec spec = ConvSpec.of(c, k, 3, 1, pad, 1);
        Tensor x = Tensors.gaussian(h * 31 + w, n, c, h, w);
        Tensor xBlocked = Tensor.zeros(ChannelBlocks.shape(x.shape()));
        ChannelBlocks.toBlocked(x, xBlocked).run();
        Tensor weight = weights(spec, c + k);
        Tensor bias = new Tensor(Tensors.gaussian(k, k, 0, 0.5f), k);
        int[] outShape = spec.outputShape(x.shape());
        Tensor outBlocked = Tensor.full(Float.NaN, ChannelBlocks.shape(outShape));
        BlockedWinogradConv.prepare(spec, tile, xBlocked, weight, bias, outBlocked, activation).run();
        Tensor out = Tensor.zeros(outShape);
        ChannelBlocks.toNchw(outBlocked, out).run();
        compare(tile + " blocked", p, activation, out, ConvReference.forward(spec, x.data(), x.shape(), weight.data(),
                bias.data()));
        int blocks = ChannelBlocks.blocks(k);
        for (int img = 0; img < n; img++) {
            for (int ch = k; ch < blocks * ChannelBlocks.SIZE; ch++) {
                assertEquals(0f, outBlocked.get(img, blocks - 1, outShape[2] - 1, outShape[3] - 1,
                        ch % ChannelBlocks.SIZE), "a padding channel");
            }
        }
    }

    private static void check(WinogradConv.Tile tile, int[] p, Activation activation) {
        int n = p[0], c = p[1], k = p[2], h = p[3], w = p[4], pad = p[5];
        ConvSpec spec = ConvSpec.of(c, k, 3, 1, pad, 1);
        Tensor x = Tensors.gaussian(h * 31 + w, n, c, h, w);
        Tensor weight = weights(spec, c + k);
        Tensor bias = new Tensor(Tensors.gaussian(k, k, 0, 0.5f), k);
        int[] outShape = spec.outputShape(x.shape());
        Tensor out = Tensor.full(Float.NaN, outShape);
        WinogradConv.prepare(spec, tile, x, weight, bias, out, activation).run();
        compare(tile.toString(), p, activation, out, ConvReference.forward(spec, x.data(), x.shape(), weight.data(),
                bias.data()));
    }

    /** Within the golden tolerance of the definition (activation applied), everywhere; NaN fails. */
    private static void compare(String what, int[] p, Activation activation, Tensor out, float[] expected) {
        double worst = 0;
        int at = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = Math.min(activation.hi, Math.max(activation.lo, expected[i]));
            double err = Math.abs(out.data()[i] - e);
            double ratio = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / (ATOL + RTOL * Math.abs(e));
            if (ratio > worst) {
                worst = ratio;
                at = i;
            }
        }
        int a = at;
        double w2 = worst;
        assertTrue(worst <= 1, () -> String.format("%s %s %s: output %d is %s, expected %s (%.2f of the tolerance)",
                what, java.util.Arrays.toString(p), activation, a, out.data()[a], expected[a], w2));
    }

    private static Tensor weights(ConvSpec spec, long seed) {
        int fanIn = spec.inPerGroup() * 9;
        return new Tensor(Tensors.gaussian(seed, spec.outChannels() * fanIn, 0, (float) Math.sqrt(2.0 / fanIn)),
                spec.weightShape());
    }
}
