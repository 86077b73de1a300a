package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;
import dev.depthwise.models.SegNet;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.Sequential;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PredictorTest {
    @Test
    void compiledPlansPerShapeMatchTheModule() {
        Module model = new SegNet(SegNet.ConvKind.DEPTHWISE_SEPARABLE, 3, false, 21);
        InferenceModelTest.randomiseBatchNorms(model, 22);
        Predictor predictor = new Predictor(model);
        for (int batch : new int[] {2, 1, 2}) { // a batch size, a last smaller batch, the first again
            Tensor x = InferenceModelTest.randomInput(23 + batch, batch, 3, 16, 16);
            Tensor expected = model.forward(x).copy();
            Tensor actual = predictor.forward(x);
            assertTrue(predictor.compiled());
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.data()[i], actual.data()[i], 1e-4f * Math.max(1, Math.abs(expected.data()[i])));
            }
        }
    }

    @Test
    void aModelWithoutALoweringRunsItsOwnForward() {
        Module own = new Module() {
            @Override
            protected Tensor computeForward(Tensor x) {
                Tensor y = x.copy();
                y.data()[0] += 1;
                return y;
            }

            @Override
            protected Tensor computeBackward(Tensor g) {
                return g;
            }
        };
        Predictor predictor = new Predictor(new Sequential(new Conv2d(3, 3, 1, 1, 0, 1, false), own));
        Tensor y = predictor.forward(Tensor.zeros(1, 3, 4, 4));
        assertFalse(predictor.compiled());
        assertEquals(1f, y.data()[0]);
    }
}
