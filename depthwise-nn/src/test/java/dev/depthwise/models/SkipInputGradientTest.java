package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A model told that its input needs no gradient computes the same parameter gradients and returns none for it. */
class SkipInputGradientTest {
    @Test
    void mobileNetV2ParameterGradientsAreUnchanged() {
        sameParameterGradients(() -> new MobileNetV2(7, 0.5, 0f, 3), new int[] {2, 3, 32, 32}, new int[] {2, 7});
    }

    @Test
    void mobileNetV2SegmenterParameterGradientsAreUnchanged() {
        sameParameterGradients(() -> new MobileNetV2Segmenter(3, 0.5, 4), new int[] {2, 3, 32, 32},
                new int[] {2, 3, 32, 32});
    }

    private static void sameParameterGradients(Supplier<Module> create, int[] inputShape, int[] outputShape) {
        Module full = create.get().train(true);
        Module skipping = create.get().train(true);
        skipping.skipInputGradient();
        Tensor x = random(11, inputShape);
        Tensor gradOut = random(12, outputShape);
        // Two steps: the second runs on the buffers the first left, as in training.
        for (int step = 0; step < 2; step++) {
            for (Parameter p : full.parameters()) {
                p.zeroGrad();
            }
            for (Parameter p : skipping.parameters()) {
                p.zeroGrad();
            }
            assertArrayEquals(full.forward(x).data(), skipping.forward(x).data());
            assertNotNull(full.backward(gradOut));
            assertNull(skipping.backward(gradOut));
            Map<String, Parameter> expected = full.namedParameters();
            Map<String, Parameter> actual = skipping.namedParameters();
            assertEquals(expected.keySet(), actual.keySet());
            for (String name : expected.keySet()) {
                assertArrayEquals(expected.get(name).grad().data(), actual.get(name).grad().data(), name);
            }
        }
    }

    private static Tensor random(long seed, int... shape) {
        Tensor t = Tensor.zeros(shape);
        Random r = new Random(seed);
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = (float) r.nextGaussian();
        }
        return t;
    }
}
