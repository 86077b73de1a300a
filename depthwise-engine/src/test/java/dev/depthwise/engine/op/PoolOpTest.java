package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolOpTest {
    private static final float[] FIVE_BY_FIVE = {
        3, 9, 1, 4, 0,
        2, 5, 8, 8, 7,
        6, 1, 0, 2, 9,
        7, 4, 3, 5, 1,
        9, 9, 9, 9, 9,
    };

    @Test
    void maxPoolOnOddInputDropsTheLastRowAndColumnAndFirstMaxWinsTies() {
        Tensor x = new Tensor(FIVE_BY_FIVE.clone(), 1, 1, 5, 5);
        assertArrayEquals(new int[] {1, 1, 2, 2}, PoolOp.maxPoolOutputShape(x.shape(), 2, 2));
        Tensor out = Tensor.zeros(1, 1, 2, 2);
        int[] indices = new int[4];
        PoolOp.maxPool(x, 2, 2, out, indices);
        assertArrayEquals(new float[] {9, 8, 7, 5}, out.data());
        // the window {1, 4, 8, 8} has a tie: the first 8, at (1, 2), wins
        assertArrayEquals(new int[] {1, 7, 15, 18}, indices);
    }

    @Test
    void overlappingWindowsAccumulateInBackward() {
        Tensor x = new Tensor(FIVE_BY_FIVE.clone(), 1, 1, 5, 5);
        Tensor out = Tensor.zeros(PoolOp.maxPoolOutputShape(x.shape(), 3, 2));
        int[] indices = new int[4];
        PoolOp.maxPool(x, 3, 2, out, indices);
        assertArrayEquals(new float[] {9, 9, 9, 9}, out.data());
        assertArrayEquals(new int[] {1, 14, 20, 14}, indices);
        Tensor gradX = Tensor.full(7f, 1, 1, 5, 5);
        PoolOp.maxPoolBackward(new Tensor(new float[] {1, 2, 3, 4}, 1, 1, 2, 2), indices, gradX);
        float[] expected = new float[25];
        expected[1] = 1;
        expected[14] = 2 + 4;
        expected[20] = 3;
        assertArrayEquals(expected, gradX.data());
    }

    @Test
    void vectorisedTwoByTwoPathAgreesWithTheSequentialScanOnTiesAndNaNs() {
        // wide rows reach the vector loop; few distinct values make many ties
        int[] shape = {2, 3, 9, 75};
        Tensor x = Tensor.zeros(shape);
        java.util.Random r = new java.util.Random(11);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = r.nextInt(20) == 0 ? Float.NaN : r.nextInt(3);
        }
        int[] outShape = PoolOp.maxPoolOutputShape(shape, 2, 2);
        Tensor out = Tensor.zeros(outShape);
        int[] indices = new int[out.size()];
        PoolOp.maxPool(x, 2, 2, out, indices);
        int outW = outShape[3];
        for (int p = 0; p < 6; p++) {
            for (int oh = 0; oh < outShape[2]; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    float best = Float.NEGATIVE_INFINITY;
                    int bestIndex = 2 * oh * 75 + 2 * ow;
                    for (int kh = 0; kh < 2; kh++) {
                        for (int kw = 0; kw < 2; kw++) {
                            int idx = (2 * oh + kh) * 75 + 2 * ow + kw;
                            float v = x.data()[p * 9 * 75 + idx];
                            if (v > best || Float.isNaN(v)) {
                                best = v;
                                bestIndex = idx;
                            }
                        }
                    }
                    int o = (p * outShape[2] + oh) * outW + ow;
                    assertEquals(bestIndex, indices[o], "index at plane " + p + " (" + oh + ", " + ow + ")");
                    assertEquals(best, out.data()[o]);
                }
            }
        }
    }

    @Test
    void reluThenPoolBackwardInOneStepGivesTheBitsOfTheTwoInTurn() {
        // Negative, zero, NaN and tied values, 2x2 windows and overlapping 3x3 ones (where gradients add up).
        java.util.Random r = new java.util.Random(5);
        for (int kernel : new int[] {2, 3}) {
            Tensor pre = Tensor.zeros(2, 3, 9, 11);
            for (int i = 0; i < pre.size(); i++) {
                int k = r.nextInt(12);
                pre.data()[i] = k == 0 ? Float.NaN : k < 3 ? 0f : k < 6 ? -r.nextFloat() : (float) r.nextGaussian();
            }
            Tensor activated = Tensor.zeros(pre.shape());
            ActivationOp.relu(pre, activated);
            Tensor pooled = Tensor.zeros(PoolOp.maxPoolOutputShape(pre.shape(), kernel, 2));
            int[] indices = new int[pooled.size()];
            PoolOp.maxPool(activated, kernel, 2, pooled, indices);
            Tensor gradOut = new Tensor(GradCheck.randomWeights(pooled.size(), 8), pooled.shape());

            Tensor throughPool = Tensor.full(3f, pre.shape());
            PoolOp.maxPoolBackward(gradOut, indices, throughPool);
            Tensor expected = Tensor.zeros(pre.shape());
            ActivationOp.reluBackward(activated, throughPool, expected);
            Tensor fused = Tensor.full(3f, pre.shape());
            PoolOp.maxPoolAfterReluBackward(gradOut, indices, pooled, fused);

            int masked = 0;
            for (int i = 0; i < pooled.size(); i++) {
                masked += pooled.data()[i] > 0f ? 0 : 1;
            }
            assertTrue(masked > 0, "some pooled values must be zero or NaN for the mask to matter");
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(Float.floatToRawIntBits(expected.data()[i]), Float.floatToRawIntBits(fused.data()[i]),
                        "kernel " + kernel + ", element " + i);
            }
        }
    }

    @Test
    void nanIsTheMaximum() {
        Tensor x = new Tensor(new float[] {1, Float.NaN, 3, 2}, 1, 1, 2, 2);
        Tensor out = Tensor.zeros(1, 1, 1, 1);
        int[] indices = new int[1];
        PoolOp.maxPool(x, 2, 2, out, indices);
        assertTrue(Float.isNaN(out.data()[0]));
        assertEquals(1, indices[0]);
    }

    @Test
    void unpoolPutsValuesBackAndZerosElsewhere() {
        Tensor pooled = new Tensor(new float[] {9, 8, 7, 5}, 1, 1, 2, 2);
        int[] indices = {1, 7, 15, 18};
        Tensor out = Tensor.full(3f, 1, 1, 5, 5);
        PoolOp.maxUnpool(pooled, indices, out);
        float[] expected = new float[25];
        expected[1] = 9;
        expected[7] = 8;
        expected[15] = 7;
        expected[18] = 5;
        assertArrayEquals(expected, out.data());
        Tensor gradX = Tensor.zeros(1, 1, 2, 2);
        PoolOp.maxUnpoolBackward(new Tensor(FIVE_BY_FIVE.clone(), 1, 1, 5, 5), indices, gradX);
        assertArrayEquals(new float[] {9, 8, 7, 5}, gradX.data());
    }

    @Test
    void poolAndUnpoolBackwardMatchFiniteDifferences() {
        Tensor x = Tensors.distinct(1, 2, 3, 7, 9);
        int[] outShape = PoolOp.maxPoolOutputShape(x.shape(), 2, 2);
        assertArrayEquals(new int[] {2, 3, 3, 4}, outShape);
        Tensor out = Tensor.zeros(outShape);
        int[] indices = new int[out.size()];
        float[] w = GradCheck.randomWeights(out.size(), 2);
        PoolOp.maxPool(x, 2, 2, out, indices);
        Tensor gradX = Tensor.zeros(x.shape());
        PoolOp.maxPoolBackward(new Tensor(w, outShape), indices, gradX);
        GradCheck.check("maxPool", x.data(), gradX.data(), () -> {
            PoolOp.maxPool(x, 2, 2, out, null);
            return GradCheck.weightedSum(out.data(), w);
        }, x.size(), 3, 1e-2f, 2e-2, 1e-4);

        // unpool is linear in its input for fixed indices
        Tensor small = Tensors.gaussian(4, outShape);
        Tensor big = Tensor.zeros(x.shape());
        float[] wb = GradCheck.randomWeights(big.size(), 5);
        Tensor gradSmall = Tensor.zeros(outShape);
        PoolOp.maxUnpoolBackward(new Tensor(wb, x.shape()), indices, gradSmall);
        GradCheck.check("maxUnpool", small.data(), gradSmall.data(), () -> {
            PoolOp.maxUnpool(small, indices, big);
            return GradCheck.weightedSum(big.data(), wb);
        }, small.size(), 6, 1e-2f, 2e-2, 1e-4);
    }

    @Test
    void globalAveragePoolForwardAndBackward() {
        Tensor x = new Tensor(new float[] {1, 2, 3, 4, 10, 20, 30, 40}, 1, 2, 2, 2);
        Tensor out = Tensor.zeros(1, 2, 1, 1);
        PoolOp.globalAvgPool(x, out);
        assertArrayEquals(new float[] {2.5f, 25f}, out.data());

        Tensor big = Tensors.gaussian(7, 2, 3, 5, 3);
        Tensor flat = Tensor.zeros(2, 3);
        float[] w = GradCheck.randomWeights(6, 8);
        Tensor gradX = Tensor.zeros(big.shape());
        PoolOp.globalAvgPoolBackward(new Tensor(w, 2, 3), gradX);
        GradCheck.check("globalAvgPool", big.data(), gradX.data(), () -> {
            PoolOp.globalAvgPool(big, flat);
            return GradCheck.weightedSum(flat.data(), w);
        }, big.size(), 9, 1e-2f, 2e-2, 1e-4);
    }

    @Test
    void rejectsBadShapesAndIndicesWithoutIndexErrors() {
        Tensor x = Tensor.zeros(1, 2, 5, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PoolOp.maxPool(x, 2, 2, Tensor.zeros(1, 2, 3, 3), new int[18]));
        assertTrue(e.getMessage().contains("PoolOp.maxPool") && e.getMessage().contains("[1, 2, 2, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PoolOp.maxPool(x, 2, 2, Tensor.zeros(1, 2, 2, 2), new int[7]));
        e = assertThrows(IllegalArgumentException.class, () -> PoolOp.maxPoolOutputShape(new int[] {1, 1, 1, 5}, 2, 2));
        assertTrue(e.getMessage().contains("larger"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PoolOp.maxPoolOutputShape(new int[] {5, 5}, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> PoolOp.maxPoolOutputShape(new int[] {1, 1, 4, 4}, 2, 0));

        Tensor pooled = Tensor.zeros(1, 2, 2, 2);
        e = assertThrows(IllegalArgumentException.class, () -> PoolOp.maxUnpool(pooled, new int[7], x));
        assertTrue(e.getMessage().contains("indices") && e.getMessage().contains("[1, 2, 2, 2]"), e.getMessage());
        int[] bad = new int[8];
        bad[5] = 25;
        e = assertThrows(IllegalArgumentException.class, () -> PoolOp.maxUnpool(pooled, bad, x));
        assertTrue(e.getMessage().contains("25"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PoolOp.maxUnpoolBackward(x, bad, pooled));
        assertThrows(IllegalArgumentException.class, () -> PoolOp.maxPoolBackward(pooled, bad, x));
        bad[5] = -1;
        assertThrows(IllegalArgumentException.class, () -> PoolOp.maxPoolBackward(pooled, bad, x));
        assertThrows(IllegalArgumentException.class, () -> PoolOp.maxUnpool(pooled, new int[8], Tensor.zeros(1, 3, 5, 5)));
        assertThrows(IllegalArgumentException.class, () -> PoolOp.maxUnpool(pooled, null, x));
        assertThrows(IllegalArgumentException.class, () -> PoolOp.globalAvgPool(x, Tensor.zeros(1, 2, 1, 2)));
        assertThrows(IllegalArgumentException.class, () -> PoolOp.globalAvgPoolBackward(Tensor.zeros(2, 2), x));
    }

    @Test
    void aBadIndexFoundOnAWorkerThreadStillReachesTheCallerAsIllegalArgument() {
        // large enough to be split over the pool
        Tensor pooled = Tensor.zeros(2, 64, 32, 32);
        int[] indices = new int[pooled.size()];
        indices[indices.length - 3] = 64 * 64;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PoolOp.maxUnpool(pooled, indices, Tensor.zeros(2, 64, 64, 64)));
        assertTrue(e.getMessage().contains("PoolOp.maxUnpool") && e.getMessage().contains("4096"), e.getMessage());
    }
}
