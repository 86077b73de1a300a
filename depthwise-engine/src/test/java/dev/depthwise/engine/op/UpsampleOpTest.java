package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpsampleOpTest {
    @Test
    void nearestMatchesPyTorch() {
        Tensor x = new Tensor(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
        Tensor out = Tensor.zeros(1, 1, 4, 4);
        UpsampleOp.nearest(x, out);
        assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, out.data());
        // F.interpolate(arange(1, 4).view(1, 1, 1, 3), size=(1, 5), mode='nearest') = [1, 1, 2, 2, 3]
        Tensor row = Tensor.zeros(1, 1, 1, 5);
        UpsampleOp.nearest(new Tensor(new float[] {1, 2, 3}, 1, 1, 1, 3), row);
        assertArrayEquals(new float[] {1, 1, 2, 2, 3}, row.data());
        assertArrayEquals(new int[] {0, 0, 1, 1, 2}, UpsampleOp.nearestIndices(3, 5));
        assertArrayEquals(new int[] {0, 2, 4}, UpsampleOp.nearestIndices(7, 3));
    }

    @Test
    void bilinearMatchesPyTorch() {
        // F.interpolate(..., mode='bilinear', align_corners=False) values from torch 1.13
        Tensor out = Tensor.zeros(1, 1, 1, 4);
        UpsampleOp.bilinear(new Tensor(new float[] {1, 2}, 1, 1, 1, 2), out);
        assertArrayEquals(new float[] {1, 1.25f, 1.75f, 2}, out.data(), 1e-6f);
        Tensor five = Tensor.zeros(1, 1, 1, 5);
        UpsampleOp.bilinear(new Tensor(new float[] {1, 2, 3}, 1, 1, 1, 3), five);
        assertArrayEquals(new float[] {1, 1.4f, 2, 2.6f, 3}, five.data(), 1e-6f);
        Tensor square = Tensor.zeros(1, 1, 4, 4);
        UpsampleOp.bilinear(new Tensor(new float[] {0, 1, 2, 3}, 1, 1, 2, 2), square);
        assertArrayEquals(new float[] {
            0, 0.25f, 0.75f, 1,
            0.5f, 0.75f, 1.25f, 1.5f,
            1.5f, 1.75f, 2.25f, 2.5f,
            2, 2.25f, 2.75f, 3}, square.data(), 1e-6f);
    }

    @Test
    void bilinearOnWidePlanesMatchesThePerPixelFormulaAndBackwardIsItsTranspose() {
        int[][][] sizes = {{{2, 3, 9, 20}, {2, 3, 17, 45}}, {{1, 2, 20, 45}, {1, 2, 9, 20}}, {{1, 1, 6, 40}, {1, 1, 12, 80}}};
        long seed = 20;
        for (int[][] pair : sizes) {
            Tensor x = Tensors.gaussian(seed++, pair[0]);
            Tensor out = Tensor.zeros(pair[1]);
            UpsampleOp.bilinear(x, out);
            int inH = pair[0][2];
            int inW = pair[0][3];
            int outH = pair[1][2];
            int outW = pair[1][3];
            for (int p = 0; p < pair[0][0] * pair[0][1]; p++) {
                for (int oh = 0; oh < outH; oh++) {
                    for (int ow = 0; ow < outW; ow++) {
                        float expected = referenceBilinear(x.data(), p * inH * inW, inH, inW, outH, outW, oh, ow);
                        assertEquals(expected, out.data()[(p * outH + oh) * outW + ow], 1e-5f);
                    }
                }
            }
            // <g, bilinear(x)> == <bilinearBackward(g), x> for the transpose
            Tensor g = Tensors.gaussian(seed++, pair[1]);
            Tensor gradX = Tensor.zeros(pair[0]);
            UpsampleOp.bilinearBackward(g, gradX);
            double forward = GradCheck.weightedSum(out.data(), g.data());
            double backward = GradCheck.weightedSum(x.data(), gradX.data());
            assertEquals(forward, backward, 1e-4 * Math.max(1, Math.abs(forward)));
        }
    }

    /** align_corners=False sampling written out per pixel, independently of the op's tables. */
    private static float referenceBilinear(float[] x, int base, int inH, int inW, int outH, int outW, int oh, int ow) {
        float sh = Math.max((float) inH / outH * (oh + 0.5f) - 0.5f, 0f);
        float sw = Math.max((float) inW / outW * (ow + 0.5f) - 0.5f, 0f);
        int h0 = (int) sh;
        int w0 = (int) sw;
        int h1 = Math.min(h0 + 1, inH - 1);
        int w1 = Math.min(w0 + 1, inW - 1);
        float lh = sh - h0;
        float lw = sw - w0;
        return (1 - lh) * ((1 - lw) * x[base + h0 * inW + w0] + lw * x[base + h0 * inW + w1])
                + lh * ((1 - lw) * x[base + h1 * inW + w0] + lw * x[base + h1 * inW + w1]);
    }

    @Test
    void backwardsMatchFiniteDifferences() {
        int[][][] sizes = {
            {{2, 3, 4, 5}, {2, 3, 8, 10}},   // scale 2
            {{1, 2, 5, 7}, {1, 2, 8, 11}},   // non-integer up
            {{1, 2, 7, 9}, {1, 2, 4, 5}},    // down
        };
        long seed = 1;
        for (int[][] pair : sizes) {
            Tensor x = Tensors.gaussian(seed++, pair[0]);
            Tensor out = Tensor.zeros(pair[1]);
            float[] w = GradCheck.randomWeights(out.size(), seed++);
            Tensor gradX = Tensor.full(5f, pair[0]);
            String size = Tensor.shapeString(pair[0]) + "->" + Tensor.shapeString(pair[1]);

            UpsampleOp.nearestBackward(new Tensor(w, pair[1]), gradX);
            GradCheck.check("nearest " + size, x.data(), gradX.data(), () -> {
                UpsampleOp.nearest(x, out);
                return GradCheck.weightedSum(out.data(), w);
            }, x.size(), seed++, 1e-2f, 2e-2, 1e-4);

            gradX.fill(5f);
            UpsampleOp.bilinearBackward(new Tensor(w, pair[1]), gradX);
            GradCheck.check("bilinear " + size, x.data(), gradX.data(), () -> {
                UpsampleOp.bilinear(x, out);
                return GradCheck.weightedSum(out.data(), w);
            }, x.size(), seed++, 1e-2f, 2e-2, 1e-4);
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UpsampleOp.bilinear(Tensor.zeros(1, 2, 3, 3), Tensor.zeros(1, 3, 6, 6)));
        assertTrue(e.getMessage().contains("UpsampleOp.bilinear") && e.getMessage().contains("[1, 3, 6, 6]"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> UpsampleOp.nearest(Tensor.zeros(2, 3, 3), Tensor.zeros(2, 6, 6)));
        assertThrows(IllegalArgumentException.class,
                () -> UpsampleOp.nearestBackward(Tensor.zeros(2, 2, 6, 6), Tensor.zeros(1, 2, 3, 3)));
        assertThrows(IllegalArgumentException.class,
                () -> UpsampleOp.bilinearBackward(Tensor.zeros(1, 2, 0, 6), Tensor.zeros(1, 2, 3, 3)));
    }
}
