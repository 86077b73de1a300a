package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import dev.depthwise.models.Models;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransientBuffersTest {
    @Test
    void arraysAreLentByExactSizeAndComeBackWhenGivenBack() {
        TransientBuffers pool = new TransientBuffers();
        Tensor a = pool.lend(new int[] {2, 3});
        Tensor b = pool.lend(new int[] {3, 2});
        assertNotSame(a.data(), b.data(), "a lent array is not lent twice");
        assertEquals(6, a.data().length, "exact size, so data() is never longer than the tensor");
        pool.giveBack(a.data());
        Tensor c = pool.lend(new int[] {6});
        assertSame(a.data(), c.data(), "a given-back array is lent again");
        pool.giveBack(new float[6]); // not the pool's: ignored
        assertEquals(2, pool.arrayLengths().length);
        assertNotSame(c.data(), pool.lend(new int[] {1, 6}).data(), "c still holds its array");
        assertEquals(3, pool.arrayLengths().length);
    }

    @Test
    void theOutermostBackwardTakesBackWhatThePassLeftExceptItsOwnGradOut() {
        TransientBuffers pool = new TransientBuffers();
        Tensor returnedLastPass = pool.lend(new int[] {4});
        Tensor gradOut = pool.lend(new int[] {4});
        pool.enterBackward(gradOut);
        Tensor inner = pool.lend(new int[] {4});
        assertSame(returnedLastPass.data(), inner.data(), "reclaimed at the start of the pass");
        pool.enterBackward(inner); // a nested backward reclaims nothing
        assertNotSame(gradOut.data(), pool.lend(new int[] {4}).data(), "gradOut stays lent through the pass");
        pool.exitBackward();
        pool.exitBackward();
    }

    @Test
    void arraysOfAShapeNoLongerTrainedAreForgotten() {
        Module model = Models.create("segnet_dsc");
        model.train(true);
        Tensor two = new Tensor(GradCheck.randomWeights(2 * 3 * 32 * 32, 3), 2, 3, 32, 32);
        Tensor one = new Tensor(GradCheck.randomWeights(3 * 32 * 32, 4), 1, 3, 32, 32);
        step(model, two, 1);
        step(model, two, 2);
        step(model, one, 3); // an epoch's last, smaller batch
        int[] after = step(model, one, 4);
        Module fresh = Models.create("segnet_dsc");
        fresh.train(true);
        step(fresh, one, 3);
        int[] onlyOne = step(fresh, one, 4);
        Arrays.sort(after);
        Arrays.sort(onlyOne);
        assertArrayEquals(onlyOne, after, "after a pass without them, the batch-2 arrays are gone");
    }

    /** One training step of SegNet-DSC (batch 2, 32x32); returns the pool's array lengths after it. */
    private static int[] step(Module model, Tensor x, long seed) {
        model.zeroGrad();
        Tensor y = model.forward(x);
        model.backward(new Tensor(GradCheck.randomWeights(y.size(), seed), y.shape()));
        return model.transientBuffers().arrayLengths();
    }

    @Test
    void aSteadyTrainingLoopReusesThePoolAndHoldsAtMostTwoArraysOfAnySize() {
        Module model = Models.create("segnet_dsc");
        model.train(true);
        Tensor x = new Tensor(GradCheck.randomWeights(2 * 3 * 32 * 32, 3), 2, 3, 32, 32);
        int[] first = step(model, x, 1);
        assertArrayEquals(first, step(model, x, 2), "the second step makes no new array");
        assertArrayEquals(first, step(model, x, 3), "nor the third");
        Map<Integer, Integer> perLength = new HashMap<>();
        for (int length : first) {
            perLength.merge(length, 1, Integer::sum);
        }
        // Each depthwise-separable conv's backward needs two buffers of its input's size at once (its pointwise
        // input gradient written over the recomputed depthwise output, then its own input gradient); a third means
        // a gradient outlived its reader.
        assertTrue(perLength.values().stream().allMatch(n -> n <= 2), "arrays per length: " + perLength
                + ", all: " + Arrays.toString(first));
        long perLayerGradients = 0; // what one input gradient per conv took before the pool
        for (Module m : model.namedModules().values()) {
            if (m instanceof Conv2d conv) {
                perLayerGradients += 4L * conv.savedInput().size();
            }
        }
        assertTrue(model.transientBufferBytes() > 0 && model.transientBufferBytes() < perLayerGradients,
                "the pool (" + model.transientBufferBytes() + " B) must hold less than one gradient per layer did");
    }
}
