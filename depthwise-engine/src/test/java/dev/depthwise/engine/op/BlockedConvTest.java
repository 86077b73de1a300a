package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The channel-blocked layout and its kernels compute what the NCHW ops compute. */
class BlockedConvTest {
    private static final float TOLERANCE = 1e-5f;
    private static final int B = ChannelBlocks.SIZE;

    @Test
    void layoutRoundTripsAndZeroesThePaddingChannels() {
        Tensor x = Tensors.gaussian(1, 2, B + 3, 5, 7);
        Tensor blocked = Tensor.full(Float.NaN, ChannelBlocks.shape(x.shape()));
        ChannelBlocks.toBlocked(x, blocked).run();
        assertEquals(x.get(1, B + 2, 4, 6), blocked.get(1, 1, 4, 6, 2));
        assertEquals(0f, blocked.get(1, 1, 4, 6, 3), "a padding channel");
        Tensor back = Tensor.full(Float.NaN, x.shape());
        ChannelBlocks.toNchw(blocked, back).run();
        assertArrayEquals(x.data(), back.data());

        Tensor avg = Tensor.zeros(2, B + 3);
        Tensor avgRef = Tensor.zeros(2, B + 3);
        ChannelBlocks.globalAvgPool(blocked, avg, B + 3).run();
        PoolOp.globalAvgPool(x, avgRef);
        assertArrayEquals(avgRef.data(), avg.data());
    }

    @Test
    void blockedPoolAndUnpoolMatchTheNchwOps() {
        for (int[] size : new int[][] {{8, 6}, {7, 9}, {3, 2}}) {
            Tensor x = Tensors.gaussian(size[0] * 10 + size[1], 2, B + 2, size[0], size[1]);
            x.data()[3] = x.data()[2]; // a tie: the first wins
            x.data()[size[1] * 2] = Float.NaN;
            Tensor blocked = Tensor.zeros(ChannelBlocks.shape(x.shape()));
            ChannelBlocks.toBlocked(x, blocked).run();
            int[] pooledShape = PoolOp.maxPoolOutputShape(x.shape(), 2, 2);
            Tensor expected = Tensor.zeros(pooledShape);
            int[] indices = new int[expected.size()];
            PoolOp.maxPool(x, 2, 2, expected, indices);
            Tensor unpooledRef = Tensor.zeros(x.shape());
            PoolOp.maxUnpool(expected, indices, unpooledRef);

            Tensor pooled = Tensor.full(Float.NaN, BlockedPool.pooledShape(blocked.shape()));
            float[] which = new float[pooled.size()];
            BlockedPool.maxPool(blocked, pooled, which).run();
            Tensor unpooled = Tensor.full(Float.NaN, blocked.shape());
            BlockedPool.maxUnpool(pooled, which, unpooled).run();
            Tensor actual = Tensor.zeros(pooledShape);
            ChannelBlocks.toNchw(pooled, actual).run();
            assertArrayEquals(expected.data(), actual.data());
            Tensor back = Tensor.full(Float.NaN, x.shape());
            ChannelBlocks.toNchw(unpooled, back).run();
            assertArrayEquals(unpooledRef.data(), back.data());
        }
    }

    @Test
    void pointwiseMatchesTheNchwConv() {
        // channels not multiples of the block, odd block counts, pixel counts not multiples of the 6-pixel tile,
        // more pixels than one task's chunk
        check(ConvSpec.of(B + 4, 3 * B + 5, 1, 1, 0, 1), 2, 5, 7, Activation.RELU6, true);
        check(ConvSpec.of(3, 2 * B, 1, 1, 0, 1), 1, 13, 11, Activation.NONE, false);
        check(ConvSpec.of(2 * B, 9 * B, 1, 1, 0, 1), 1, 7, 7, Activation.RELU6, false);
        check(ConvSpec.of(40, 5, 1, 1, 0, 1), 3, 1, 1, Activation.RELU, true);
    }

    @Test
    void pointwiseWithManyInputChannelsMatchesTheNchwConv() {
        // input channels by the hundred, not multiples of the block; overlapping tail tiles (63 and 25 pixels), a
        // lone output block (12-pixel tiles), a residual
        check(ConvSpec.of(300, 2 * B + 3, 1, 1, 0, 1), 1, 7, 9, Activation.RELU6, true);
        check(ConvSpec.of(300, 2 * B, 1, 1, 0, 1), 2, 5, 5, Activation.NONE, false);
        // more input channels than a panel row holds: sums in passes, a residual, a lone block, an overlapping tail
        check(ConvSpec.of(ConvTiles.ROW + 60, 2 * B + 3, 1, 1, 0, 1), 1, 3, 7, Activation.RELU6, true);
        check(ConvSpec.of(17 * B + 5, B - 3, 1, 1, 0, 1), 1, 5, 5, Activation.RELU, true);
        check(ConvSpec.of(17 * B, 5 * B, 1, 1, 0, 1), 1, 2, 2, Activation.RELU6, false);
    }

    @Test
    void depthwiseMatchesTheNchwConvAtEveryStrideAndBorder() {
        for (int stride = 1; stride <= 2; stride++) {
            for (int pad = 0; pad <= 1; pad++) {
                int c = B + 5;
                ConvSpec s = ConvSpec.of(c, c, 3, stride, pad, c);
                check(s, 2, 9, 8, Activation.RELU6, stride == 1);
                check(s, 1, 11, 10, Activation.RELU6, true); // the residual at both strides
                check(s, 1, 7, 7, Activation.NONE, false);
                check(s, 1, 3, 4, Activation.RELU, false);
                if (pad == 1) {
                    check(s, 1, 1, 1, Activation.NONE, false); // every tap but the centre is outside
                    check(s, 1, 2, 2, Activation.RELU6, false);
                }
            }
        }
    }

    @Test
    void directConvReadsNchwOrBlocksAndWritesBlocks() {
        for (boolean blockedInput : new boolean[] {false, true}) {
            check(ConvSpec.of(3, 32, 3, 2, 1, 1), 1, 17, 15, Activation.RELU6, false, blockedInput);
            check(ConvSpec.of(3, 5, 3, 2, 1, 1), 2, 8, 9, Activation.NONE, true, blockedInput);
            check(ConvSpec.of(2, B + 1, 5, 1, 2, 1), 1, 6, 13, Activation.RELU, false, blockedInput);
            check(ConvSpec.of(B + 3, 2 * B, 3, 1, 1, 1), 2, 9, 10, Activation.RELU, false, blockedInput);
            check(ConvSpec.of(2 * B, 3, 3, 1, 1, 1), 1, 13, 7, Activation.NONE, false, blockedInput);
            // a lone output block on rows of 27 pixels: two 12-pixel tiles, then an overlapping tail tile
            check(ConvSpec.of(B + 3, 3, 3, 1, 1, 1), 1, 5, 27, Activation.RELU, true, blockedInput);
        }
    }

    @Test
    void sameResultsAtEveryThreadCount() {
        int before = Parallel.threads();
        try {
            for (int threads = 1; threads <= 3; threads++) {
                Parallel.setThreads(threads);
                check(ConvSpec.of(2 * B, 3 * B, 1, 1, 0, 1), 1, 14, 14, Activation.RELU6, true);
                check(ConvSpec.of(3 * B, 3 * B, 3, 2, 1, 3 * B), 1, 14, 14, Activation.RELU6, false);
                check(ConvSpec.of(3, 32, 3, 2, 1, 1), 1, 20, 20, Activation.RELU6, false, false);
                check(ConvSpec.of(B, 2 * B, 3, 1, 1, 1), 1, 16, 16, Activation.RELU, false, true);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void unsupportedConvsAndBadShapesAreNamed() {
        int c = B + 1;
        Tensor blocked = Tensor.zeros(ChannelBlocks.shape(new int[] {1, c, 8, 8}));
        ConvSpec grouped = ConvSpec.of(2 * B, 2 * B, 3, 1, 1, 2);
        Tensor twoBlocks = Tensor.zeros(ChannelBlocks.shape(new int[] {1, 2 * B, 8, 8}));
        var e = assertThrows(IllegalArgumentException.class, () -> BlockedConv.prepare(grouped, twoBlocks,
                Tensor.zeros(grouped.weightShape()), null, null, twoBlocks, Activation.NONE));
        assertTrue(e.getMessage().contains("no blocked kernel"), e.getMessage());

        ConvSpec pointwise = ConvSpec.of(c, 4, 1, 1, 0, 1);
        Tensor wrongOut = Tensor.zeros(1, 1, 8, 7, B);
        e = assertThrows(IllegalArgumentException.class, () -> BlockedConv.prepare(pointwise, blocked,
                Tensor.zeros(pointwise.weightShape()), null, null, wrongOut, Activation.NONE));
        assertTrue(e.getMessage().contains("[1, 1, 8, 7, " + B + "]") && e.getMessage().contains("[1, 4, 8, 8]"),
                e.getMessage());
    }

    /** Blocked conv (with the NCHW input blocked first, unless it is the direct kernel) against ConvOp + epilogue. */
    private static void check(ConvSpec s, int n, int h, int w, Activation act, boolean withResidual) {
        check(s, n, h, w, act, withResidual, true);
    }

    /** The conv from a blocked input or (direct kernel) from the NCHW input, against ConvOp + epilogue. */
    private static void check(ConvSpec s, int n, int h, int w, Activation act, boolean withResidual,
                              boolean blockedInput) {
        long seed = s.hashCode() * 31L + n * 7L + h;
        Tensor x = Tensors.gaussian(seed, n, s.inChannels(), h, w);
        Tensor weight = Tensors.gaussian(seed + 1, s.weightShape());
        Tensor bias = Tensors.gaussian(seed + 2, s.outChannels());
        int[] outShape = s.outputShape(x.shape());
        Tensor residual = withResidual ? Tensors.gaussian(seed + 3, outShape) : null;
        Tensor expected = Tensor.zeros(outShape);
        ConvOp.forward(s, x, weight, bias, expected);
        if (residual != null) {
            ElementwiseOp.add(expected, residual, expected);
        }
        for (int i = 0; i < expected.size(); i++) {
            expected.data()[i] = Math.min(Math.max(expected.data()[i], act.lo), act.hi);
        }

        Tensor input = x;
        if (blockedInput) {
            input = Tensor.zeros(ChannelBlocks.shape(x.shape()));
            ChannelBlocks.toBlocked(x, input).run();
        }
        Tensor blockedResidual = null;
        if (residual != null) {
            blockedResidual = Tensor.zeros(ChannelBlocks.shape(outShape));
            ChannelBlocks.toBlocked(residual, blockedResidual).run();
        }
        Tensor out = Tensor.full(Float.NaN, ChannelBlocks.shape(outShape));
        BlockedConv conv = BlockedConv.prepare(s, input, weight, bias, blockedResidual, out, act);
        Tensor actual = Tensor.zeros(outShape);
        // The two kernels add a pixel's terms in different orders; float sums of k unit-sized terms then differ by
        // about sqrt(k) roundings of the partial sums' size, itself about sqrt(k): the tolerance grows with k past
        // 100 terms (1100 terms differed by 4.4e-5 of a result of 1.27).
        double terms = (double) s.inPerGroup() * s.kernelH() * s.kernelW();
        double tolerance = TOLERANCE * Math.max(1, terms / 100);
        for (int round = 0; round < 2; round++) {
            conv.run();
            ChannelBlocks.toNchw(out, actual).run();
            for (int i = 0; i < actual.size(); i++) {
                assertEquals(expected.data()[i], actual.data()[i],
                        tolerance * Math.max(1, Math.abs(expected.data()[i])), s + " " + h + "x" + w + " element " + i);
            }
        }
        // The padding channels of the last block stay zero, so a following conv's sums are not disturbed.
        int cout = s.outChannels();
        if (cout % B != 0) {
            int hw = outShape[2] * outShape[3];
            for (int img = 0; img < n; img++) {
                int base = ((img * ChannelBlocks.blocks(cout) + cout / B) * hw) * B;
                for (int p = 0; p < hw; p++) {
                    for (int j = cout % B; j < B; j++) {
                        assertEquals(0f, out.data()[base + p * B + j], s + " padding channel " + j);
                    }
                }
            }
        }
    }

    private static void assertArrayEquals(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertTrue(Float.isNaN(actual[i]), "element " + i + " should be NaN, is " + actual[i]);
            } else {
                assertEquals(expected[i], actual[i], TOLERANCE * Math.max(1, Math.abs(expected[i])), "element " + i);
            }
        }
    }
}
