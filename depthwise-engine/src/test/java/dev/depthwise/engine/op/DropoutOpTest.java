package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DropoutOpTest {
    @Test
    void dropsAboutPAndScalesSurvivorsByInverse() {
        Tensor x = Tensors.gaussian(1, 100, 100);
        float[] mask = new float[x.size()];
        Tensor out = Tensor.zeros(100, 100);
        DropoutOp.forward(x, 0.2f, new SplittableRandom(2), mask, out);
        int dropped = 0;
        for (int i = 0; i < mask.length; i++) {
            assertTrue(mask[i] == 0f || mask[i] == 1.25f, "mask value " + mask[i]);
            dropped += mask[i] == 0f ? 1 : 0;
            assertEquals(x.data()[i] * mask[i], out.data()[i]);
        }
        assertEquals(0.2, dropped / 10000.0, 0.02);

        Tensor gradOut = Tensors.gaussian(3, 100, 100);
        Tensor gradX = Tensor.zeros(100, 100);
        DropoutOp.backward(gradOut, mask, gradX);
        for (int i = 0; i < mask.length; i++) {
            // the op is linear in x with slope mask: the gradient is gradOut * mask
            assertEquals(gradOut.data()[i] * mask[i], gradX.data()[i]);
        }
    }

    @Test
    void backwardMatchesFiniteDifferencesForAFixedMask() {
        Tensor x = Tensors.gaussian(4, 3, 40);
        Tensor out = Tensor.zeros(3, 40);
        float[] mask = new float[120];
        float[] w = GradCheck.randomWeights(120, 5);
        DropoutOp.forward(x, 0.3f, new SplittableRandom(6), mask, out);
        Tensor gradX = Tensor.zeros(3, 40);
        DropoutOp.backward(new Tensor(w, 3, 40), mask, gradX);
        GradCheck.check("dropout", x.data(), gradX.data(), () -> {
            DropoutOp.forward(x, 0.3f, new SplittableRandom(6), null, out);
            return GradCheck.weightedSum(out.data(), w);
        }, 120, 7);
    }

    @Test
    void sameSeedSameMask() {
        Tensor x = Tensors.gaussian(1, 50);
        float[] a = new float[50];
        float[] b = new float[50];
        DropoutOp.forward(x, 0.5f, new SplittableRandom(9), a, Tensor.zeros(50));
        DropoutOp.forward(x, 0.5f, new SplittableRandom(9), b, Tensor.zeros(50));
        assertArrayEquals(a, b);
    }

    @Test
    void zeroAndOneAreIdentityAndZeros() {
        Tensor x = Tensors.gaussian(1, 10);
        Tensor out = Tensor.zeros(10);
        DropoutOp.forward(x, 0f, null, null, out);
        assertArrayEquals(x.data(), out.data());
        float[] mask = new float[10];
        DropoutOp.forward(x, 1f, new SplittableRandom(1), mask, out);
        assertArrayEquals(new float[10], out.data(), 0f);
        assertArrayEquals(new float[10], mask);
    }

    @Test
    void rejectsBadArguments() {
        Tensor x = Tensor.zeros(10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DropoutOp.forward(x, 1.5f, new SplittableRandom(1), null, Tensor.zeros(10)));
        assertTrue(e.getMessage().contains("DropoutOp.forward"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> DropoutOp.forward(x, 0.5f, new SplittableRandom(1), new float[9], Tensor.zeros(10)));
        assertThrows(IllegalArgumentException.class,
                () -> DropoutOp.forward(x, 0.5f, new SplittableRandom(1), null, Tensor.zeros(11)));
        assertThrows(IllegalArgumentException.class, () -> DropoutOp.backward(x, null, Tensor.zeros(10)));
        assertThrows(IllegalArgumentException.class, () -> DropoutOp.backward(x, new float[11], Tensor.zeros(10)));
    }
}
