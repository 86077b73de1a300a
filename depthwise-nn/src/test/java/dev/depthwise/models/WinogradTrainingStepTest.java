package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.LossOp;
import dev.depthwise.engine.op.WinogradConv;
import dev.depthwise.engine.op.WinogradPolicy;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SegNet's training step (forward in training mode, cross-entropy, backward) with every dense 3×3 conv a Winograd
 * conv, forward, input and weight gradients, against the same step with direct convolution. At 32×32 the deepest
 * BatchNorms normalise 2×2 planes of 2 images, so the step amplifies rounding: a relative change of 1e-5 to the
 * input (a tenth of the golden tolerance's relative part) moves direct convolution's gradients by up to 3.3% of
 * their RMS. Winograd's rounding must move them by less than that (F(2×2) up to 0.6%, F(4×4) up to 1.4% when
 * written), and the loss and logits, before the BatchNorms' backward amplifies anything, by float32 rounding only.
 */
class WinogradTrainingStepTest {
    @Test
    void segNetsTrainingStepAgreesWithDirectConvolution() {
        Step direct = step(WinogradPolicy.NEVER, 0);
        double rounding = direct.worstGradientDifference(step(WinogradPolicy.NEVER, 1e-5));
        assertTrue(rounding > 0 && rounding < 0.1, "the step's sensitivity to rounding: " + rounding);
        for (WinogradConv.Tile tile : WinogradConv.Tile.values()) {
            Step wino = step(WinogradPolicy.always(tile), 0);
            double loss = Math.abs(wino.loss - direct.loss) / Math.abs(direct.loss);
            double logits = relativeRms(wino.logits, direct.logits);
            double gradients = direct.worstGradientDifference(wino);
            System.out.printf("%s: loss %.1e, logits %.1e, gradients up to %.1e of their RMS, relative to direct;"
                    + " input jittered by 1e-5: %.1e%n", tile, loss, logits, gradients, rounding);
            assertTrue(loss < 1e-5, tile + " loss differs by " + loss);
            assertTrue(logits < 1e-4, tile + " logits differ by " + logits + " of their RMS");
            assertTrue(gradients < rounding, tile + " gradients differ by up to " + gradients
                    + " of their RMS, against " + rounding + " for an input jittered by 1e-5");
        }
    }

    private record Step(double loss, float[] logits, Map<String, float[]> gradients) {
        /** The largest difference of a parameter's gradient from this step's, relative to its RMS here. */
        double worstGradientDifference(Step other) {
            double worst = 0;
            for (var e : gradients.entrySet()) {
                worst = Math.max(worst, relativeRms(other.gradients.get(e.getKey()), e.getValue()));
            }
            return worst;
        }
    }

    /** One step from a fixed initialisation and input, each input value scaled by a random 1 ± {@code jitter}. */
    private static Step step(WinogradPolicy policy, double jitter) {
        Module model = Models.create("segnet");
        model.resetParameters(new SplittableRandom(3));
        model.train(true);
        Conv2d.setWinograd(model, policy);
        SplittableRandom r = new SplittableRandom(4);
        Tensor x = Tensor.zeros(2, 3, 32, 32);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = (float) r.nextGaussian();
        }
        SplittableRandom j = new SplittableRandom(99);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] *= (float) (1 + jitter * (2 * j.nextDouble() - 1));
        }
        model.zeroGrad();
        Tensor logits = model.forward(x);
        int[] labels = new int[logits.n() * logits.h() * logits.w()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = r.nextInt(logits.c());
        }
        Tensor gradLogits = Tensor.zeros(logits.shape());
        float loss = LossOp.crossEntropy(logits, labels, null, -100, gradLogits);
        float[] kept = logits.data().clone();
        model.backward(gradLogits);
        Map<String, float[]> gradients = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            gradients.put(e.getKey(), e.getValue().grad().data().clone());
        }
        return new Step(loss, kept, gradients);
    }

    /** RMS of the difference over the RMS of {@code expected}. */
    private static double relativeRms(float[] got, float[] expected) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = got[i] - expected[i];
            diff += d * d;
            norm += (double) expected[i] * expected[i];
        }
        return Math.sqrt(diff / Math.max(norm, Double.MIN_NORMAL));
    }
}
