package dev.depthwise.engine.op;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fast paths (pointwise GEMM, chunked im2col, direct depthwise) against the definition, on shapes chosen to hit
 * vector tails, several column chunks, 1×1 planes, odd sizes and the parallel splits, at 1, 2 and 3 threads.
 */
class ConvFastPathTest {

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("pointwise 7x9", ConvSpec.of(5, 7, 1, 1, 0, 1), new int[] {3, 5, 7, 9}),
                Arguments.of("pointwise several chunks", ConvSpec.of(6, 9, 1, 1, 0, 1), new int[] {1, 6, 47, 45}),
                Arguments.of("pointwise 1x1 plane", ConvSpec.of(17, 33, 1, 1, 0, 1), new int[] {5, 17, 1, 1}),
                Arguments.of("pointwise grouped", ConvSpec.of(8, 12, 1, 1, 0, 4), new int[] {4, 8, 5, 3}),
                // The weight gradient over the images' pixels: GEMM depth blocks that end inside an image, channel
                // counts that are no multiple of the register tile's sides.
                Arguments.of("pointwise over images", ConvSpec.of(13, 20, 1, 1, 0, 1), new int[] {9, 13, 9, 10}),
                Arguments.of("dense 3x3 im2col chunks", ConvSpec.of(64, 9, 3, 1, 1, 1), new int[] {2, 64, 21, 23}),
                Arguments.of("dense 3x3 stride 2 odd", ConvSpec.of(3, 10, 3, 2, 1, 1), new int[] {5, 3, 9, 7}),
                Arguments.of("dense 3x3 no pad", ConvSpec.of(4, 5, 3, 1, 0, 1), new int[] {3, 4, 3, 3}),
                // Enough (image, chunk) tasks for the weights to be packed once per call, at every thread count;
                // the input gradient of these stride-1 convs runs as a conv with flipped weights.
                Arguments.of("dense 3x3 packed weights, chunks", ConvSpec.of(40, 12, 3, 1, 1, 1), new int[] {3, 40, 45, 41}),
                Arguments.of("dense 3x3 packed weights, 16x16", ConvSpec.of(24, 20, 3, 1, 1, 1), new int[] {7, 24, 16, 16}),
                Arguments.of("dense 5x3 pads 2x0, gradient as conv", new ConvSpec(9, 10, 5, 3, 1, 1, 2, 0, 1, 1, 1),
                        new int[] {6, 9, 11, 13}),
                Arguments.of("dense 3x3 no pad, gradient as conv", ConvSpec.of(8, 5, 3, 1, 0, 1), new int[] {6, 8, 7, 6}),
                // Input gradients that stay on the col2im path: stride 2, dilation 2, groups, too few input channels.
                Arguments.of("dense 3x3 stride 2, col2im", ConvSpec.of(12, 10, 3, 2, 1, 1), new int[] {8, 12, 17, 19}),
                Arguments.of("dense 3x3 dilation 2, col2im", new ConvSpec(10, 6, 3, 3, 1, 1, 2, 2, 2, 2, 1),
                        new int[] {6, 10, 9, 12}),
                Arguments.of("dense 3x3 groups 2, col2im", ConvSpec.of(16, 8, 3, 1, 1, 2), new int[] {6, 16, 9, 10}),
                Arguments.of("dense 3x3 few input channels, col2im", ConvSpec.of(3, 16, 3, 1, 1, 1), new int[] {6, 3, 20, 18}),
                Arguments.of("depthwise 7x9", ConvSpec.of(6, 6, 3, 1, 1, 6), new int[] {3, 6, 7, 9}),
                Arguments.of("depthwise wide rows", ConvSpec.of(3, 3, 3, 1, 1, 3), new int[] {2, 3, 5, 37}),
                Arguments.of("depthwise stride 2 wide", ConvSpec.of(3, 3, 3, 2, 1, 3), new int[] {2, 3, 9, 40}),
                Arguments.of("depthwise stride 2 odd", ConvSpec.of(4, 4, 3, 2, 1, 4), new int[] {3, 4, 11, 35}),
                Arguments.of("depthwise 1x1 plane", ConvSpec.of(4, 4, 3, 1, 1, 4), new int[] {2, 4, 1, 1}),
                Arguments.of("depthwise 1x1 plane stride 2", ConvSpec.of(4, 4, 3, 2, 1, 4), new int[] {2, 4, 1, 1}),
                Arguments.of("depthwise no pad", ConvSpec.of(2, 2, 3, 1, 0, 2), new int[] {2, 2, 4, 19}),
                Arguments.of("depthwise pad 2", ConvSpec.of(2, 2, 3, 2, 2, 2), new int[] {1, 2, 6, 17}),
                Arguments.of("depthwise stride 2x1", new ConvSpec(3, 3, 3, 3, 2, 1, 1, 1, 1, 1, 3), new int[] {2, 3, 8, 20}),
                Arguments.of("depthwise stride 1x2", new ConvSpec(3, 3, 3, 3, 1, 2, 1, 0, 1, 1, 3), new int[] {2, 3, 6, 21}),
                // Stride 2 along W on even/odd-split rows: output widths of exactly one and two vectors (no tail),
                // one past a vector, odd sizes, no padding, and 1-pixel-wide or -high planes.
                Arguments.of("depthwise stride 2 out 16 wide", ConvSpec.of(3, 3, 3, 2, 1, 3), new int[] {1, 3, 7, 32}),
                Arguments.of("depthwise stride 2 out 32 wide odd", ConvSpec.of(2, 2, 3, 2, 1, 2), new int[] {2, 2, 5, 63}),
                Arguments.of("depthwise stride 2 out 17 wide", ConvSpec.of(2, 2, 3, 2, 1, 2), new int[] {1, 2, 13, 34}),
                Arguments.of("depthwise stride 2 no pad", ConvSpec.of(3, 3, 3, 2, 0, 3), new int[] {2, 3, 9, 35}),
                Arguments.of("depthwise stride 2 no pad 3x3", ConvSpec.of(2, 2, 3, 2, 0, 2), new int[] {2, 2, 3, 3}),
                Arguments.of("depthwise stride 2 1-pixel rows", ConvSpec.of(3, 3, 3, 2, 1, 3), new int[] {2, 3, 1, 19}),
                Arguments.of("depthwise stride 2 1-pixel columns", ConvSpec.of(3, 3, 3, 2, 1, 3), new int[] {2, 3, 21, 1}),
                Arguments.of("depthwise stride 1x2 pad 2", new ConvSpec(2, 2, 3, 3, 1, 2, 2, 2, 1, 1, 2), new int[] {1, 2, 4, 50}),
                // Small planes of one channel stacked into one tall plane, several stacks per channel at a batch of 6.
                Arguments.of("depthwise stacked 4x4", ConvSpec.of(5, 5, 3, 1, 1, 5), new int[] {6, 5, 4, 4}),
                Arguments.of("depthwise stacked pad 2", ConvSpec.of(2, 2, 3, 1, 2, 2), new int[] {4, 2, 5, 6}),
                Arguments.of("depthwise stacked stride 2 odd rows", ConvSpec.of(3, 3, 3, 2, 1, 3), new int[] {5, 3, 7, 6}),
                Arguments.of("depthwise stacked stride 2 no pad", ConvSpec.of(2, 2, 3, 2, 0, 2), new int[] {4, 2, 7, 7}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndBackwardMatchDefinition(String name, ConvSpec s, int[] xShape) {
        Random r = new Random(name.hashCode());
        float[] x = Tensors.gaussian(r, xShape[0] * xShape[1] * xShape[2] * xShape[3]);
        float[] w = Tensors.gaussian(r, s.outChannels() * s.inPerGroup() * s.kernelH() * s.kernelW());
        float[] b = Tensors.gaussian(r, s.outChannels());
        int[] outShape = s.outputShape(xShape);
        float[] g = Tensors.gaussian(r, outShape[0] * outShape[1] * outShape[2] * outShape[3]);
        float[] expectedOut = ConvReference.forward(s, x, xShape, w, b);
        float[][] expectedGrads = ConvReference.backward(s, x, xShape, w, g);
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            Tensor out = Tensor.full(Float.NaN, outShape);
            ConvOp.forward(s, new Tensor(x, xShape), new Tensor(w, s.weightShape()), new Tensor(b, s.outChannels()), out);
            assertClose(expectedOut, out.data(), name + " out, threads " + threads);
            Tensor gradX = Tensor.full(Float.NaN, xShape);
            Tensor gradW = Tensor.zeros(s.weightShape());
            Tensor gradB = Tensor.zeros(s.outChannels());
            ConvOp.backward(s, new Tensor(x, xShape), new Tensor(w, s.weightShape()), new Tensor(g, outShape),
                    gradX, gradW, gradB);
            assertClose(expectedGrads[0], gradX.data(), name + " gradX, threads " + threads);
            assertClose(expectedGrads[1], gradW.data(), name + " gradW, threads " + threads);
            assertClose(expectedGrads[2], gradB.data(), name + " gradB, threads " + threads);
            // Same inputs, same thread count: bit-identical results.
            Tensor again = Tensor.zeros(s.weightShape());
            ConvOp.backward(s, new Tensor(x, xShape), new Tensor(w, s.weightShape()), new Tensor(g, outShape),
                    null, again, null);
            assertArrayEquals(gradW.data(), again.data(), name + " gradW repeatable");
        }
    }

    /** The cases above reach the training paths they are named for (at up to 3 threads), and the others do not. */
    @Test
    void casesReachTheirPaths() {
        Parallel.setThreads(3);
        ConvSpec small = ConvSpec.of(5, 5, 3, 1, 1, 5);
        int rowStride = 4 + 2 + 2;
        assertEquals(6, DepthwiseConv3x3.stackedImages(small, new ConvOp.Geometry().set(small, 6, 4, 4), rowStride));
        assertEquals(2, DepthwiseConv3x3.stackedImages(small, new ConvOp.Geometry().set(small, 6, 40, 40), 40 + 4));
        assertEquals(1, DepthwiseConv3x3.stackedImages(small, new ConvOp.Geometry().set(small, 6, 64, 64), 64 + 4));
        ConvSpec stride2 = ConvSpec.of(3, 3, 3, 2, 1, 3);
        assertEquals(5, DepthwiseConv3x3.stackedImages(stride2, new ConvOp.Geometry().set(stride2, 5, 7, 6), 6 + 4));
        ConvSpec packed = ConvSpec.of(40, 12, 3, 1, 1, 1);
        ConvOp.Geometry geo = new ConvOp.Geometry().set(packed, 3, 45, 41);
        assertTrue(ConvInputGradient.gradientIsConv(packed, geo));
        assertTrue(ConvWeightGradient.weightGradientIsChannelsLast(packed, geo));
        ConvSpec pads = new ConvSpec(9, 10, 5, 3, 1, 1, 2, 0, 1, 1, 1);
        geo.set(pads, 6, 11, 13);
        assertTrue(ConvInputGradient.gradientIsConv(pads, geo));
        assertTrue(ConvWeightGradient.weightGradientIsChannelsLast(pads, geo));
        ConvSpec dense2 = ConvSpec.of(12, 10, 3, 2, 1, 1);
        geo.set(dense2, 8, 17, 19);
        assertFalse(ConvInputGradient.gradientIsConv(dense2, geo));
        assertFalse(ConvWeightGradient.weightGradientIsChannelsLast(dense2, geo));
        ConvSpec overImages = ConvSpec.of(13, 20, 1, 1, 0, 1);
        assertTrue(ConvWeightGradient.weightGradientIsOverImages(overImages, geo.set(overImages, 9, 9, 10)));
        assertFalse(ConvWeightGradient.weightGradientIsOverImages(overImages, geo.set(overImages, 1, 47, 45)));
        ConvSpec few = ConvSpec.of(3, 16, 3, 1, 1, 1);
        geo.set(few, 6, 20, 18);
        assertFalse(ConvInputGradient.gradientIsConv(few, geo));
        assertFalse(ConvWeightGradient.weightGradientIsChannelsLast(few, geo));
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            float tol = 1e-4f * Math.max(1f, Math.abs(expected[i])) + 2e-4f;
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " got " + actual[i]);
            }
        }
    }
}
