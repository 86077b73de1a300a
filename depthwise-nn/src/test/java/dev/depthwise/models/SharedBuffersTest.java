package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import dev.depthwise.nn.Module;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The buffers neighbouring layers share in training (activation in place after BatchNorm, gradients
 * written over dead buffers) change no number: every model gives bitwise the same output, input gradient
 * and parameter gradients as the same model built by {@code Module.buildWithoutSharedBuffers}. Finite
 * differences cannot check whole SegNets (max-unpooling is discontinuous where an argmax switches), so this
 * equivalence and the layer-level check in {@link GradientCheckTest} together cover the models.
 */
class SharedBuffersTest {
    private static List<float[]> trainingStep(ModelSpec spec, int size, boolean shared) {
        Module m = shared ? Models.create(spec) : Module.buildWithoutSharedBuffers(() -> Models.create(spec));
        Tensor x = ModelsTest.input(2, size, size);
        List<float[]> results = new ArrayList<>();
        for (int step = 0; step < 2; step++) { // twice: buffers are reused on the second call
            m.zeroGrad();
            Tensor y = m.forward(x);
            results.add(y.data().clone());
            Tensor gradOut = new Tensor(GradCheck.randomWeights(y.size(), 31 + step), y.shape());
            results.add(m.backward(gradOut).data().clone());
        }
        for (Map.Entry<String, dev.depthwise.nn.Parameter> e : m.namedParameters().entrySet()) {
            results.add(e.getValue().grad().data().clone());
        }
        return results;
    }

    private static void assertSameNumbers(ModelSpec spec, int size) {
        List<float[]> shared = trainingStep(spec, size, true);
        List<float[]> separate = trainingStep(spec, size, false);
        assertEquals(separate.size(), shared.size());
        for (int i = 0; i < shared.size(); i++) {
            assertArrayEquals(separate.get(i), shared.get(i), 0f, spec.name() + ": result " + i);
        }
    }

    @Test
    void segNetDsc() {
        assertSameNumbers(ModelSpec.of("segnet_dsc"), 32);
    }

    @Test
    void segNetWithPlainHead() {
        assertSameNumbers(ModelSpec.of("segnet_dsc").withPlainHead(true), 16);
    }

    @Test
    void mobileNetV2Segmenter() {
        assertSameNumbers(ModelSpec.of("mobilenet_v2_seg").withWidth(0.35), 32);
    }

    @Test
    void mobileNetV2() {
        assertSameNumbers(ModelSpec.of("mobilenet_v2").withWidth(0.35).withClasses(5), 32);
    }
}
