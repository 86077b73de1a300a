package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchNormOpTest {
    private static final float EPS = 1e-5f;

    @Test
    void trainingStepNormalisesWithBatchStatsAndUpdatesRunningStatsWithUnbiasedVariance() {
        // channel 0 holds {1, 2, 3, 4}: mean 2.5, biased var 1.25, unbiased 5/3
        // channel 1 holds {10, 10, 10, 14}: mean 11, biased var 3, unbiased 4
        Tensor x = new Tensor(new float[] {1, 2, 10, 10, 3, 4, 10, 14}, 2, 2, 1, 2);
        float[] gamma = {2f, 1f};
        float[] beta = {0.5f, -1f};
        float[] runningMean = {0f, 1f};
        float[] runningVar = {1f, 2f};
        float[] saveMean = new float[2];
        float[] saveInvStd = new float[2];
        Tensor out = Tensor.zeros(2, 2, 1, 2);

        BatchNormOp.forwardTrain(x, gamma, beta, runningMean, runningVar, 0.1f, EPS, out, saveMean, saveInvStd);

        assertArrayEquals(new float[] {0.25f, 0.9f * 1f + 0.1f * 11f}, runningMean, 1e-6f);
        assertArrayEquals(new float[] {0.9f + 0.1f * 5f / 3f, 0.9f * 2f + 0.1f * 4f}, runningVar, 1e-6f);
        assertArrayEquals(new float[] {2.5f, 11f}, saveMean, 1e-6f);
        double inv0 = 1 / Math.sqrt(1.25 + EPS);
        double inv1 = 1 / Math.sqrt(3 + EPS);
        assertArrayEquals(new float[] {(float) inv0, (float) inv1}, saveInvStd, 1e-6f);
        float[] expected = new float[8];
        float[] xs = x.data();
        for (int i = 0; i < 8; i++) {
            int c = (i / 2) % 2;
            double inv = c == 0 ? inv0 : inv1;
            expected[i] = (float) ((xs[i] - saveMean[c]) * inv * gamma[c] + beta[c]);
        }
        assertArrayEquals(expected, out.data(), 1e-5f);
    }

    /**
     * The activation fused into the BatchNorm gives bit for bit what the BatchNorm then the activation's own passes
     * give, forward and backward, in training and eval mode: planes of 5x7 (vector loops and scalar tails), values on
     * both sides of 0 and 6.
     */
    @Test
    void aFusedReluOrRelu6IsTheActivationAfterTheBatchNorm() {
        for (Activation act : new Activation[] {Activation.RELU, Activation.RELU6}) {
            Tensor x = Tensors.gaussian(3, 2, 3, 5, 7);
            float[] gamma = {4f, -3f, 2.5f};
            float[] beta = {1f, 3f, 5f};
            Tensor gradOut = Tensors.gaussian(4, 2, 3, 5, 7);

            float[] rmA = new float[3], rvA = {1, 1, 1}, meanA = new float[3], invA = new float[3];
            Tensor separate = Tensor.zeros(2, 3, 5, 7);
            BatchNormOp.forwardTrain(x, gamma, beta, rmA, rvA, 0.1f, EPS, separate, meanA, invA);
            Tensor activated = Tensor.zeros(2, 3, 5, 7);
            Tensor masked = Tensor.zeros(2, 3, 5, 7);
            if (act == Activation.RELU) {
                ActivationOp.relu(separate, activated);
                ActivationOp.reluBackward(activated, gradOut, masked);
            } else {
                ActivationOp.relu6(separate, activated);
                ActivationOp.relu6Backward(activated, gradOut, masked);
            }
            Tensor gradXA = Tensor.zeros(2, 3, 5, 7);
            float[] gGammaA = new float[3], gBetaA = new float[3];
            BatchNormOp.backward(x, masked, gamma, meanA, invA, gradXA, gGammaA, gBetaA);

            float[] rmB = new float[3], rvB = {1, 1, 1}, meanB = new float[3], invB = new float[3];
            Tensor fused = Tensor.zeros(2, 3, 5, 7);
            BatchNormOp.forwardTrain(x, gamma, beta, rmB, rvB, 0.1f, EPS, fused, meanB, invB, act);
            assertArrayEquals(activated.data(), fused.data(), act + " forward");
            float clipped = 0;
            for (float v : fused.data()) {
                clipped += v == 0f || v == 6f ? 1 : 0;
            }
            assertTrue(clipped > 10, act + ": the test's values reach the clamp (" + clipped + " clipped)");
            Tensor gradXB = gradOut.copy();
            float[] gGammaB = new float[3], gBetaB = new float[3];
            BatchNormOp.backward(x, gradXB, gamma, beta, meanB, invB, act, gradXB, gGammaB, gBetaB);
            assertArrayEquals(gradXA.data(), gradXB.data(), act + " input gradient (in place over gradOut)");
            assertArrayEquals(gGammaA, gGammaB, act + " gamma gradient");
            assertArrayEquals(gBetaA, gBetaB, act + " beta gradient");

            Tensor evalSeparate = Tensor.zeros(2, 3, 5, 7);
            BatchNormOp.forwardEval(x, gamma, beta, rmA, rvA, EPS, evalSeparate);
            act.applyInPlace(evalSeparate);
            Tensor evalFused = Tensor.zeros(2, 3, 5, 7);
            BatchNormOp.forwardEval(x, gamma, beta, rmA, rvA, EPS, evalFused, act);
            assertArrayEquals(evalSeparate.data(), evalFused.data(), act + " eval");
        }
    }

    @Test
    void evalUsesRunningStatistics() {
        Tensor x = new Tensor(new float[] {1, 2, 3, 4}, 1, 2, 1, 2);
        Tensor out = Tensor.zeros(1, 2, 1, 2);
        BatchNormOp.forwardEval(x, new float[] {2, 1}, new float[] {1, 0}, new float[] {1, 3},
                new float[] {4, 0.25f}, 0f, out);
        // channel 0: (x - 1) / 2 * 2 + 1; channel 1: (x - 3) / 0.5
        assertArrayEquals(new float[] {1, 2, 0, 2}, out.data(), 1e-6f);
    }

    @Test
    void nonAffineAndInPlace() {
        Tensor x = Tensors.gaussian(1, 3, 4, 5, 7);
        Tensor expected = Tensor.zeros(3, 4, 5, 7);
        BatchNormOp.forwardTrain(x, null, null, null, null, 0.1f, EPS, expected, null, null);
        BatchNormOp.forwardTrain(x, null, null, null, null, 0.1f, EPS, x, null, null);
        assertArrayEquals(expected.data(), x.data(), 0f);
        // normalised channels have mean 0 and biased variance 1
        double sum = 0;
        double sq = 0;
        for (int n = 0; n < 3; n++) {
            for (int i = 0; i < 35; i++) {
                float v = x.data()[(n * 4 + 2) * 35 + i];
                sum += v;
                sq += v * v;
            }
        }
        assertEquals(0, sum / 105, 1e-5);
        assertEquals(1, sq / 105, 1e-3);
    }

    @Test
    void largePlaneStatisticsStayAccurate() {
        // a large offset over a 112x112 plane: float accumulation alone would drift
        int plane = 112 * 112;
        float[] values = Tensors.gaussian(2, 2 * plane, 1000f, 1f);
        Tensor x = new Tensor(values, 2, 1, 112, 112);
        float[] saveMean = new float[1];
        float[] saveInvStd = new float[1];
        BatchNormOp.forwardTrain(x, null, null, null, null, 0.1f, EPS, Tensor.zeros(2, 1, 112, 112), saveMean,
                saveInvStd);
        double mean = 0;
        for (float v : values) {
            mean += v;
        }
        mean /= values.length;
        double var = 0;
        for (float v : values) {
            var += (v - mean) * (v - mean);
        }
        var /= values.length;
        assertEquals(mean, saveMean[0], 1e-4);
        assertEquals(1 / Math.sqrt(var + EPS), saveInvStd[0], 1e-4);
    }

    /**
     * The sums sweep a channel's planes as one loop, small planes several at a time: planes with and without a tail
     * past their last whole vector (9 floats, fewer than a vector, 35, 1,089), partial sums that span planes (70
     * images of 4x4 hold several partial sums' floats per channel), each against the textbook formulas in double.
     */
    @Test
    void statisticsAndGradientsMatchDoublePrecisionOverPlaneShapes() {
        int[][] shapes = {{70, 3, 4, 4}, {5, 2, 3, 3}, {4, 3, 5, 7}, {3, 2, 33, 33}, {2, 2, 16, 16}, {40, 2, 1, 1}};
        for (int[] shape : shapes) {
            int batch = shape[0], channels = shape[1], plane = shape[2] * shape[3];
            Tensor x = new Tensor(Tensors.gaussian(21, batch * channels * plane, 3f, 2f), shape);
            Tensor gradOut = Tensors.gaussian(22, shape);
            float[] gamma = {1.5f, 0.7f, 2f};
            gamma = java.util.Arrays.copyOf(gamma, channels);
            float[] saveMean = new float[channels];
            float[] saveInvStd = new float[channels];
            BatchNormOp.forwardTrain(x, gamma, null, null, null, 0.1f, EPS, Tensor.zeros(shape), saveMean,
                    saveInvStd);
            Tensor gradX = Tensor.zeros(shape);
            float[] gradGamma = new float[channels];
            float[] gradBeta = new float[channels];
            BatchNormOp.backward(x, gradOut, gamma, saveMean, saveInvStd, gradX, gradGamma, gradBeta);
            int count = batch * plane;
            String at = java.util.Arrays.toString(shape);
            for (int c = 0; c < channels; c++) {
                double mean = 0;
                for (int n = 0; n < batch; n++) {
                    for (int i = 0; i < plane; i++) {
                        mean += x.data()[(n * channels + c) * plane + i];
                    }
                }
                mean /= count;
                double var = 0, sumDy = 0, sumDyCentered = 0;
                for (int n = 0; n < batch; n++) {
                    for (int i = 0; i < plane; i++) {
                        int k = (n * channels + c) * plane + i;
                        var += (x.data()[k] - mean) * (x.data()[k] - mean);
                        sumDy += gradOut.data()[k];
                        sumDyCentered += gradOut.data()[k] * (x.data()[k] - mean);
                    }
                }
                var /= count;
                double inv = 1 / Math.sqrt(var + EPS);
                assertEquals(mean, saveMean[c], 1e-5 * Math.abs(mean), at);
                assertEquals(inv, saveInvStd[c], 1e-5 * inv, at);
                assertEquals(sumDy, gradBeta[c], 1e-5 * count, at);
                assertEquals(sumDyCentered * inv, gradGamma[c], 1e-5 * count, at);
                for (int n = 0; n < batch; n++) {
                    for (int i = 0; i < plane; i++) {
                        int k = (n * channels + c) * plane + i;
                        double xhat = (x.data()[k] - mean) * inv;
                        double expected = gamma[c] * inv
                                * (gradOut.data()[k] - sumDy / count - xhat * sumDyCentered * inv / count);
                        assertEquals(expected, gradX.data()[k], 1e-4 * Math.max(1, Math.abs(expected)), at);
                    }
                }
            }
        }
    }

    @Test
    void backwardStaysAccurateWhenTheMeanDwarfsTheSpread() {
        int[] shape = {2, 3, 8, 8};
        int plane = 64;
        Tensor x = new Tensor(Tensors.gaussian(12, 2 * 3 * plane, 1000f, 0.05f), shape);
        float[] gamma = {1.5f, 0.7f, 2f};
        float[] saveMean = new float[3];
        float[] saveInvStd = new float[3];
        BatchNormOp.forwardTrain(x, gamma, null, null, null, 0.1f, EPS, Tensor.zeros(shape), saveMean, saveInvStd);
        Tensor gradOut = Tensors.gaussian(13, shape);
        Tensor gradX = Tensor.zeros(shape);
        BatchNormOp.backward(x, gradOut, gamma, saveMean, saveInvStd, gradX, null, null);
        for (int c = 0; c < 3; c++) {
            // the textbook formula in double precision
            double mean = 0;
            for (int n = 0; n < 2; n++) {
                for (int i = 0; i < plane; i++) {
                    mean += x.data()[(n * 3 + c) * plane + i];
                }
            }
            mean /= 2 * plane;
            double var = 0;
            double sumDy = 0;
            double sumDyXhat = 0;
            for (int n = 0; n < 2; n++) {
                for (int i = 0; i < plane; i++) {
                    int k = (n * 3 + c) * plane + i;
                    var += (x.data()[k] - mean) * (x.data()[k] - mean);
                }
            }
            var /= 2 * plane;
            double inv = 1 / Math.sqrt(var + EPS);
            for (int n = 0; n < 2; n++) {
                for (int i = 0; i < plane; i++) {
                    int k = (n * 3 + c) * plane + i;
                    sumDy += gradOut.data()[k];
                    sumDyXhat += gradOut.data()[k] * (x.data()[k] - mean) * inv;
                }
            }
            for (int n = 0; n < 2; n++) {
                for (int i = 0; i < plane; i++) {
                    int k = (n * 3 + c) * plane + i;
                    double xhat = (x.data()[k] - mean) * inv;
                    double expected = gamma[c] * inv * (gradOut.data()[k] - sumDy / 128 - xhat * sumDyXhat / 128);
                    assertEquals(expected, gradX.data()[k], 1e-4 * Math.max(1, Math.abs(expected)) * gamma[c] * inv);
                }
            }
        }
    }

    @Test
    void trainingBackwardMatchesFiniteDifferences() {
        int[] shape = {3, 4, 5, 7};
        Tensor x = Tensors.gaussian(3, shape);
        float[] gamma = Tensors.gaussian(4, 4, 1f, 0.5f);
        float[] beta = Tensors.gaussian(5, 4, 0f, 0.5f);
        Tensor out = Tensor.zeros(shape);
        float[] weights = GradCheck.randomWeights(x.size(), 6);
        float[] saveMean = new float[4];
        float[] saveInvStd = new float[4];
        BatchNormOp.forwardTrain(x, gamma, beta, null, null, 0.1f, EPS, out, saveMean, saveInvStd);
        Tensor gradX = Tensor.zeros(shape);
        float[] gradGamma = new float[4];
        float[] gradBeta = new float[4];
        BatchNormOp.backward(x, new Tensor(weights, shape), gamma, saveMean, saveInvStd, gradX, gradGamma, gradBeta);

        java.util.function.DoubleSupplier loss = () -> {
            BatchNormOp.forwardTrain(x, gamma, beta, null, null, 0.1f, EPS, out, null, null);
            return GradCheck.weightedSum(out.data(), weights);
        };
        GradCheck.check("bn gradX", x.data(), gradX.data(), loss, 120, 7);
        GradCheck.check("bn gradGamma", gamma, gradGamma, loss, 4, 8);
        GradCheck.check("bn gradBeta", beta, gradBeta, loss, 4, 9);
    }

    @Test
    void backwardAccumulatesParameterGradientsAndWorksInPlace() {
        int[] shape = {2, 3, 4, 4};
        Tensor x = Tensors.gaussian(10, shape);
        float[] gamma = {1f, 2f, 3f};
        float[] saveMean = new float[3];
        float[] saveInvStd = new float[3];
        BatchNormOp.forwardTrain(x, gamma, null, null, null, 0.1f, EPS, Tensor.zeros(shape), saveMean, saveInvStd);
        Tensor gradOut = Tensors.gaussian(11, shape);
        Tensor gradX = Tensor.zeros(shape);
        float[] gradGamma = {10f, 10f, 10f};
        float[] gradBeta = new float[3];
        float[] once = new float[3];
        BatchNormOp.backward(x, gradOut, gamma, saveMean, saveInvStd, gradX, once, null);
        BatchNormOp.backward(x, gradOut, gamma, saveMean, saveInvStd, null, gradGamma, gradBeta);
        for (int c = 0; c < 3; c++) {
            assertEquals(10f + once[c], gradGamma[c], 1e-5f);
        }
        BatchNormOp.backward(x, gradOut, gamma, saveMean, saveInvStd, gradOut, null, null);
        assertArrayEquals(gradX.data(), gradOut.data(), 1e-6f);
    }

    @Test
    void rejectsBadShapesWithClearMessages() {
        Tensor x = Tensor.zeros(2, 3, 4, 4);
        Tensor out = Tensor.zeros(2, 3, 4, 4);
        float[] three = new float[3];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                BatchNormOp.forwardTrain(x, new float[4], three, three, three, 0.1f, EPS, out, three, three));
        assertTrue(e.getMessage().contains("BatchNormOp.forwardTrain") && e.getMessage().contains("[2, 3, 4, 4]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () ->
                BatchNormOp.forwardEval(x, three, three, three, three, EPS, Tensor.zeros(2, 3, 4, 5)));
        assertTrue(e.getMessage().contains("[2, 3, 4, 5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () ->
                BatchNormOp.forwardEval(Tensor.zeros(6), null, null, three, three, EPS, Tensor.zeros(6)));
        assertThrows(IllegalArgumentException.class, () ->
                BatchNormOp.forwardEval(x, null, null, null, three, EPS, out));
        e = assertThrows(IllegalArgumentException.class, () ->
                BatchNormOp.forwardTrain(Tensor.zeros(1, 3, 1, 1), null, null, null, null, 0.1f, EPS,
                        Tensor.zeros(1, 3, 1, 1), null, null));
        assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () ->
                BatchNormOp.backward(x, out, null, null, three, out, null, null));
        assertThrows(IllegalArgumentException.class, () ->
                BatchNormOp.backward(x, Tensor.zeros(2, 3, 16), null, three, three, null, null, null));
    }
}
