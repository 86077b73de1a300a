package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fused depthwise + pointwise pair computes what its two blocked convs compute one after the other. */
class BlockedSeparableConvTest {
    private static final int B = ChannelBlocks.SIZE;

    @Test
    void matchesTheTwoConvsAtBothStridesOddSizesAndEveryThreadCount() {
        int before = Parallel.threads();
        try {
            for (int threads = 1; threads <= 3; threads++) {
                Parallel.setThreads(threads);
                // MobileNetV2-like: expanded channels not a multiple of the block, a lone last output block
                check(3 * B + 5, B + 3, 1, 1, 13, 11, true);
                check(3 * B + 5, 2 * B, 2, 2, 13, 11, false);
                // bands of one row, pairs split between tasks, pixel runs shorter than a tile
                check(60 * B, 10 * B, 1, 1, 7, 7, true);
                check(2 * B, 5 * B, 2, 1, 3, 4, false);
                check(B, 3, 1, 1, 1, 1, true);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void badPairsAreNamed() {
        ConvSpec dw = ConvSpec.of(B, B, 3, 1, 1, B);
        ConvSpec pw = ConvSpec.of(2 * B, B, 1, 1, 0, 1);
        Tensor x = Tensor.zeros(ChannelBlocks.shape(new int[] {1, B, 4, 4}));
        var e = assertThrows(IllegalArgumentException.class, () -> BlockedSeparableConv.prepare(dw, x,
                Tensor.zeros(dw.weightShape()), null, Activation.RELU6, pw, Tensor.zeros(pw.weightShape()),
                null, null, Tensor.zeros(ChannelBlocks.shape(new int[] {1, B, 4, 4})), Activation.NONE));
        assertTrue(e.getMessage().contains(pw.toString()), e.getMessage());
    }

    private static void check(int middle, int outChannels, int stride, int n, int h, int w, boolean withResidual) {
        long seed = middle * 31L + outChannels * 7L + stride + h;
        ConvSpec dw = ConvSpec.of(middle, middle, 3, stride, 1, middle);
        ConvSpec pw = ConvSpec.of(middle, outChannels, 1, 1, 0, 1);
        int[] inShape = {n, middle, h, w};
        int[] midShape = dw.outputShape(inShape);
        int[] outShape = pw.outputShape(midShape);
        Tensor x = Tensor.zeros(ChannelBlocks.shape(inShape));
        ChannelBlocks.toBlocked(Tensors.gaussian(seed, inShape), x).run();
        Tensor dwWeight = Tensors.gaussian(seed + 1, dw.weightShape());
        Tensor dwBias = Tensors.gaussian(seed + 2, middle);
        Tensor pwWeight = Tensors.gaussian(seed + 3, pw.weightShape());
        Tensor pwBias = Tensors.gaussian(seed + 4, outChannels);
        Tensor residual = null;
        if (withResidual) {
            residual = Tensor.zeros(ChannelBlocks.shape(outShape));
            ChannelBlocks.toBlocked(Tensors.gaussian(seed + 5, outShape), residual).run();
        }
        Tensor mid = Tensor.zeros(ChannelBlocks.shape(midShape));
        Tensor expected = Tensor.zeros(ChannelBlocks.shape(outShape));
        BlockedConv.prepare(dw, x, dwWeight, dwBias, null, mid, Activation.RELU6).run();
        BlockedConv.prepare(pw, mid, pwWeight, pwBias, residual, expected, Activation.NONE).run();

        Tensor actual = Tensor.full(Float.NaN, ChannelBlocks.shape(outShape));
        BlockedSeparableConv pair = BlockedSeparableConv.prepare(dw, x, dwWeight, dwBias, Activation.RELU6,
                pw, pwWeight, pwBias, residual, actual, Activation.NONE);
        for (int round = 0; round < 2; round++) {
            pair.run();
            // The same kernels summing in the same order: equal to the last bit, padding lanes included.
            assertArrayEquals(expected.data(), actual.data(), middle + "->" + outChannels + " stride " + stride + " "
                    + h + "x" + w + " split " + java.util.Arrays.toString(pair.split()));
        }
    }
}
