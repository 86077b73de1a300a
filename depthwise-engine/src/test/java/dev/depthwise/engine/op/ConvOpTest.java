package dev.depthwise.engine.op;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class ConvOpTest {

    /** Small configurations covering each path: pointwise, dense 3x3, depthwise, grouped, dilated, odd sizes. */
    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of("1x1", new ConvSpec(4, 6, 1, 1, 1, 1, 0, 0, 1, 1, 1), new int[] {2, 4, 5, 7}, true),
                Arguments.of("1x1 stride 2", ConvSpec.of(3, 5, 1, 2, 0, 1), new int[] {1, 3, 7, 6}, false),
                Arguments.of("3x3 pad 1", ConvSpec.of(3, 4, 3, 1, 1, 1), new int[] {2, 3, 6, 5}, true),
                Arguments.of("3x3 pad 1 stride 2", ConvSpec.of(3, 4, 3, 2, 1, 1), new int[] {1, 3, 7, 9}, true),
                Arguments.of("depthwise", ConvSpec.of(5, 5, 3, 1, 1, 5), new int[] {2, 5, 7, 9}, true),
                Arguments.of("depthwise stride 2", ConvSpec.of(4, 4, 3, 2, 1, 4), new int[] {2, 4, 8, 7}, false),
                Arguments.of("depthwise multiplier 2", ConvSpec.of(3, 6, 3, 1, 1, 3), new int[] {1, 3, 5, 5}, true),
                Arguments.of("grouped", ConvSpec.of(4, 6, 3, 1, 1, 2), new int[] {2, 4, 5, 6}, true),
                Arguments.of("dilation 2", new ConvSpec(3, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1), new int[] {1, 3, 7, 8}, true),
                Arguments.of("rectangular kernel", new ConvSpec(2, 3, 2, 3, 2, 1, 1, 0, 1, 2, 1), new int[] {2, 2, 6, 9}, true),
                Arguments.of("1x1 spatial", ConvSpec.of(3, 2, 3, 1, 1, 1), new int[] {2, 3, 1, 1}, true),
                Arguments.of("5x5 no pad", ConvSpec.of(2, 3, 5, 1, 0, 1), new int[] {1, 2, 6, 5}, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void forwardMatchesDefinition(String name, ConvSpec s, int[] xShape, boolean withBias) {
        Random r = new Random(name.hashCode());
        Tensor x = new Tensor(Tensors.gaussian(r, xShape[0] * xShape[1] * xShape[2] * xShape[3]), xShape);
        Tensor w = new Tensor(Tensors.gaussian(r, s.outChannels() * s.inPerGroup() * s.kernelH() * s.kernelW()), s.weightShape());
        Tensor b = withBias ? new Tensor(Tensors.gaussian(r, s.outChannels()), s.outChannels()) : null;
        Tensor out = Tensor.zeros(s.outputShape(xShape));
        out.fill(Float.NaN); // the output must be overwritten, not accumulated
        ConvOp.forward(s, x, w, b, out);
        float[] expected = ConvReference.forward(s, x.data(), xShape, w.data(), b == null ? null : b.data());
        assertArrayEquals(expected, out.data(), 1e-4f, name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void gradientsMatchFiniteDifferences(String name, ConvSpec s, int[] xShape, boolean withBias) {
        Random r = new Random(name.hashCode() + 1);
        Tensor x = new Tensor(Tensors.gaussian(r, xShape[0] * xShape[1] * xShape[2] * xShape[3]), xShape);
        Tensor w = new Tensor(Tensors.gaussian(r, s.outChannels() * s.inPerGroup() * s.kernelH() * s.kernelW()), s.weightShape());
        Tensor b = withBias ? new Tensor(Tensors.gaussian(r, s.outChannels()), s.outChannels()) : null;
        int[] outShape = s.outputShape(xShape);
        Tensor out = Tensor.zeros(outShape);
        float[] lossWeights = GradCheck.randomWeights(out.size(), 7);
        Tensor gradOut = new Tensor(lossWeights.clone(), outShape);
        Tensor gradX = Tensor.full(Float.NaN, xShape); // overwritten
        Tensor gradW = Tensor.full(0.5f, s.weightShape()); // accumulated onto 0.5
        Tensor gradB = Tensor.full(0.5f, s.outChannels());
        ConvOp.backward(s, x, w, gradOut, gradX, gradW, b == null ? null : gradB);
        java.util.function.DoubleSupplier loss = () -> {
            ConvOp.forward(s, x, w, b, out);
            return GradCheck.weightedSum(out.data(), lossWeights);
        };
        GradCheck.check(name + " gradX", x.data(), gradX.data(), loss, 60, 1);
        GradCheck.check(name + " gradW", w.data(), minus(gradW.data(), 0.5f), loss, 60, 2);
        if (b != null) {
            GradCheck.check(name + " gradB", b.data(), minus(gradB.data(), 0.5f), loss, 60, 3);
        }
    }

    private static float[] minus(float[] a, float v) {
        float[] r = a.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] -= v;
        }
        return r;
    }

    @Test
    void backwardSkipsNullOutputs() {
        ConvSpec s = ConvSpec.of(2, 2, 3, 1, 1, 1);
        Tensor x = Tensor.full(1f, 1, 2, 4, 4);
        Tensor w = Tensor.full(1f, s.weightShape());
        Tensor g = Tensor.full(1f, 1, 2, 4, 4);
        Tensor gradW = Tensor.zeros(s.weightShape());
        ConvOp.backward(s, x, w, g, null, gradW, null);
        // the centre tap sees all 16 pixels of each of the 2 output planes... per (out, in) pair: 16
        assertEquals(16f, gradW.get(0, 0, 1, 1), 1e-5f);
        assertEquals(9f, gradW.get(0, 0, 0, 0), 1e-5f);
    }

    @Test
    void rejectsWrongChannelCount() {
        ConvSpec s = ConvSpec.of(3, 4, 3, 1, 1, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> ConvOp.forward(s, Tensor.zeros(1, 2, 5, 5),
                Tensor.zeros(s.weightShape()), null, Tensor.zeros(1, 4, 5, 5)));
        assertTrue(e.getMessage().contains("[1, 2, 5, 5]") && e.getMessage().contains("3"), e.getMessage());
    }

    @Test
    void rejectsKernelLargerThanPaddedInput() {
        ConvSpec s = ConvSpec.of(1, 1, 5, 1, 0, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> s.outputShape(new int[] {1, 1, 4, 9}));
        assertTrue(e.getMessage().contains("larger than the padded input") && e.getMessage().contains("[1, 1, 4, 9]"),
                e.getMessage());
    }

    @Test
    void rejectsWrongWeightShape() {
        ConvSpec s = ConvSpec.of(4, 4, 3, 1, 1, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> ConvOp.forward(s, Tensor.zeros(1, 4, 5, 5),
                Tensor.zeros(4, 4, 3, 3), null, Tensor.zeros(1, 4, 5, 5)));
        assertTrue(e.getMessage().contains("[4, 4, 3, 3]") && e.getMessage().contains("[4, 1, 3, 3]"), e.getMessage());
    }

    @Test
    void rejectsWrongOutputShape() {
        ConvSpec s = ConvSpec.of(2, 3, 3, 2, 1, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> ConvOp.forward(s, Tensor.zeros(1, 2, 8, 8),
                Tensor.zeros(s.weightShape()), null, Tensor.zeros(1, 3, 8, 8)));
        assertTrue(e.getMessage().contains("[1, 3, 8, 8]") && e.getMessage().contains("[1, 3, 4, 4]"), e.getMessage());
    }

    @Test
    void rejectsWrongGradientShapesAndBias() {
        ConvSpec s = ConvSpec.of(2, 3, 3, 1, 1, 1);
        Tensor x = Tensor.zeros(1, 2, 4, 4);
        Tensor w = Tensor.zeros(s.weightShape());
        assertThrows(IllegalArgumentException.class,
                () -> ConvOp.forward(s, x, w, Tensor.zeros(2), Tensor.zeros(1, 3, 4, 4)));
        assertThrows(IllegalArgumentException.class,
                () -> ConvOp.backward(s, x, w, Tensor.zeros(1, 3, 4, 5), null, null, null));
        assertThrows(IllegalArgumentException.class,
                () -> ConvOp.backward(s, x, w, Tensor.zeros(1, 3, 4, 4), Tensor.zeros(1, 2, 4, 5), null, null));
        assertThrows(IllegalArgumentException.class,
                () -> ConvOp.backward(s, x, w, Tensor.zeros(1, 3, 4, 4), null, Tensor.zeros(3, 2, 3), null));
    }

    @Test
    void rejectsInPlace() {
        ConvSpec s = ConvSpec.of(2, 2, 3, 1, 1, 2);
        Tensor x = Tensor.zeros(1, 2, 4, 4);
        Tensor w = Tensor.zeros(s.weightShape());
        var e = assertThrows(IllegalArgumentException.class, () -> ConvOp.forward(s, x, w, null, x));
        assertTrue(e.getMessage().contains("in-place"), e.getMessage());
        Tensor g = Tensor.zeros(1, 2, 4, 4);
        assertThrows(IllegalArgumentException.class, () -> ConvOp.backward(s, x, w, g, g, null, null));
    }

    @Test
    void rejectsInvalidSpecs() {
        assertThrows(IllegalArgumentException.class, () -> ConvSpec.of(3, 4, 3, 1, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> ConvSpec.of(3, 4, 0, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ConvSpec.of(3, 4, 3, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ConvSpec.of(3, 4, 3, 1, -1, 1));
    }
}
