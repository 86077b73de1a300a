package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationOpTest {
    @Test
    void forwardClampsAndBackwardIsZeroAtTheKinks() {
        Tensor x = new Tensor(new float[] {-2, 0, 0.5f, 6, 7, Float.NaN}, 6);
        Tensor out = Tensor.zeros(6);
        ActivationOp.relu(x, out);
        assertArrayEquals(new float[] {0, 0, 0.5f, 6, 7, Float.NaN}, out.data());
        ActivationOp.relu6(x, out);
        assertArrayEquals(new float[] {0, 0, 0.5f, 6, 6, Float.NaN}, out.data());

        Tensor ones = Tensor.full(1f, 6);
        Tensor grad = Tensor.zeros(6);
        ActivationOp.reluBackward(x, ones, grad);
        assertArrayEquals(new float[] {0, 0, 1, 1, 1, 0}, grad.data());
        ActivationOp.relu6Backward(x, ones, grad);
        assertArrayEquals(new float[] {0, 0, 1, 0, 0, 0}, grad.data());
    }

    @Test
    void vectorAndTailPathsAgreeWithScalarDefinitionOnLargeTensorsInPlace() {
        Tensor x = Tensors.gaussian(1, 3, 7, 61, 67);
        float[] original = x.data().clone();
        for (int i = 0; i < original.length; i++) {
            original[i] *= 5;
            x.data()[i] = original[i];
        }
        ActivationOp.relu6InPlace(x);
        Tensor grad = Tensors.gaussian(2, 3, 7, 61, 67);
        float[] gradOut = grad.data().clone();
        ActivationOp.relu6Backward(new Tensor(original.clone(), x.shape()), grad, grad);
        for (int i = 0; i < original.length; i++) {
            assertEquals(Math.min(Math.max(original[i], 0f), 6f), x.data()[i]);
            assertEquals(original[i] > 0 && original[i] < 6 ? gradOut[i] : 0f, grad.data()[i]);
        }
        Tensor y = new Tensor(original.clone(), x.shape());
        ActivationOp.reluInPlace(y);
        for (int i = 0; i < original.length; i++) {
            assertEquals(Math.max(original[i], 0f), y.data()[i]);
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Tensor x = Tensors.gaussian(3, 2, 3, 5, 5);
        for (int i = 0; i < x.size(); i++) {
            float v = x.data()[i] * 4;
            // keep clear of the kinks at 0 and 6, where the derivative jumps
            if (Math.abs(v) < 0.1f || Math.abs(v - 6) < 0.1f) {
                v += 0.3f;
            }
            x.data()[i] = v;
        }
        float[] w = GradCheck.randomWeights(x.size(), 4);
        Tensor out = Tensor.zeros(x.shape());
        Tensor gradX = Tensor.zeros(x.shape());
        ActivationOp.reluBackward(x, new Tensor(w, x.shape()), gradX);
        GradCheck.check("relu", x.data(), gradX.data(), () -> {
            ActivationOp.relu(x, out);
            return GradCheck.weightedSum(out.data(), w);
        }, 150, 5);
        ActivationOp.relu6Backward(x, new Tensor(w, x.shape()), gradX);
        GradCheck.check("relu6", x.data(), gradX.data(), () -> {
            ActivationOp.relu6(x, out);
            return GradCheck.weightedSum(out.data(), w);
        }, 150, 6);
    }

    @Test
    void rejectsMismatchedShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ActivationOp.relu(Tensor.zeros(2, 3), Tensor.zeros(3, 2)));
        assertTrue(e.getMessage().contains("ActivationOp.relu") && e.getMessage().contains("[3, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ActivationOp.relu6Backward(Tensor.zeros(4), Tensor.zeros(4), Tensor.zeros(5)));
        assertThrows(IllegalArgumentException.class,
                () -> ActivationOp.reluBackward(Tensor.zeros(4), null, Tensor.zeros(4)));
    }
}
