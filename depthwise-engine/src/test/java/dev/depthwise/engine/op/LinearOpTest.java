package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import org.junit.jupiter.api.Test;

import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearOpTest {
    @Test
    void forwardIsXTimesWeightTransposedPlusBias() {
        Tensor x = new Tensor(new float[] {1, 2, 3, -1, 0, 1}, 2, 3);
        Tensor w = new Tensor(new float[] {1, 0, 0, 0, 1, 1}, 2, 3);
        Tensor b = new Tensor(new float[] {10, 20}, 2);
        Tensor out = Tensor.zeros(2, 2);
        LinearOp.forward(x, w, b, out);
        assertArrayEquals(new float[] {11, 25, 9, 21}, out.data());
        LinearOp.forward(x, w, null, out);
        assertArrayEquals(new float[] {1, 5, -1, 1}, out.data());
    }

    @Test
    void backwardMatchesFiniteDifferencesAndAccumulatesParameterGradients() {
        Tensor x = Tensors.gaussian(1, 4, 7);
        Tensor w = Tensors.gaussian(2, 5, 7);
        Tensor b = Tensors.gaussian(3, 5);
        Tensor out = Tensor.zeros(4, 5);
        float[] g = GradCheck.randomWeights(20, 4);
        Tensor gradX = Tensor.full(9f, 4, 7);
        Tensor gradW = Tensor.zeros(5, 7);
        Tensor gradB = Tensor.zeros(5);
        LinearOp.backward(x, w, new Tensor(g, 4, 5), gradX, gradW, gradB);
        DoubleSupplier loss = () -> {
            LinearOp.forward(x, w, b, out);
            return GradCheck.weightedSum(out.data(), g);
        };
        GradCheck.check("linear gradX", x.data(), gradX.data(), loss, 28, 5);
        GradCheck.check("linear gradW", w.data(), gradW.data(), loss, 35, 6);
        GradCheck.check("linear gradB", b.data(), gradB.data(), loss, 5, 7);

        float[] once = gradW.data().clone();
        LinearOp.backward(x, w, new Tensor(g, 4, 5), null, gradW, null);
        for (int i = 0; i < once.length; i++) {
            once[i] *= 2;
        }
        assertArrayEquals(once, gradW.data(), 1e-5f);
    }

    @Test
    void rejectsMismatchedFeatures() {
        Tensor x = Tensor.zeros(2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LinearOp.forward(x, Tensor.zeros(4, 5), null, Tensor.zeros(2, 4)));
        assertTrue(e.getMessage().contains("LinearOp.forward") && e.getMessage().contains("[4, 5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> LinearOp.forward(x, Tensor.zeros(4, 3), Tensor.zeros(3), Tensor.zeros(2, 4)));
        assertThrows(IllegalArgumentException.class,
                () -> LinearOp.forward(x, Tensor.zeros(4, 3), null, Tensor.zeros(4, 2)));
        assertThrows(IllegalArgumentException.class,
                () -> LinearOp.forward(Tensor.zeros(2, 3, 1, 1), Tensor.zeros(4, 3), null, Tensor.zeros(2, 4)));
        assertThrows(IllegalArgumentException.class,
                () -> LinearOp.backward(x, Tensor.zeros(4, 3), Tensor.zeros(2, 4), null, Tensor.zeros(3, 4), null));
        assertThrows(IllegalArgumentException.class,
                () -> LinearOp.backward(x, Tensor.zeros(4, 3), Tensor.zeros(2, 5), null, null, null));
    }
}
