package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LossOpTest {
    private static final int IGNORE = 255;

    @Test
    void softmaxIsStableAndSumsToOne() {
        Tensor logits = new Tensor(new float[] {1000, 0, 1001, 0, 1002, 0}, 1, 3, 1, 2);
        Tensor probs = Tensor.zeros(1, 3, 1, 2);
        LossOp.softmax(logits, probs);
        double e1 = Math.exp(-1);
        double e2 = Math.exp(-2);
        double z = 1 + e1 + e2;
        assertArrayEquals(new float[] {(float) (e2 / z), 1 / 3f, (float) (e1 / z), 1 / 3f, (float) (1 / z), 1 / 3f},
                probs.data(), 1e-6f);
        LossOp.softmax(logits, logits);
        assertArrayEquals(probs.data(), logits.data());
    }

    @Test
    void crossEntropyMatchesHandComputedWeightedMean() {
        // pixel 0: logits (1, 2, 3), class 2, nll = log(1 + e^-1 + e^-2); pixel 1: logits 0, class 0, nll = log 3;
        // pixel 2 is ignored. weights (0.5, 1, 2): (2 * nll0 + 0.5 * nll1) / 2.5; torch 1.13 gives 0.5458072
        Tensor logits = new Tensor(new float[] {1, 0, 7, 2, 0, 8, 3, 0, 9}, 1, 3, 1, 3);
        int[] target = {2, 0, IGNORE};
        float[] weights = {0.5f, 1f, 2f};
        double nll0 = Math.log(1 + Math.exp(-1) + Math.exp(-2));
        double nll1 = Math.log(3);
        float loss = LossOp.crossEntropy(logits, target, weights, IGNORE, null);
        assertEquals((2 * nll0 + 0.5 * nll1) / 2.5, loss, 1e-6);
        assertEquals(0.5458072f, loss, 1e-6f);
        assertEquals((nll0 + nll1) / 2, LossOp.crossEntropy(logits, target, null, IGNORE, null), 1e-6);
        // an ignore index that is also a valid class drops that class's pixels
        assertEquals(nll0, LossOp.crossEntropy(logits.reshape(1, 3, 3), new int[] {2, 0, 0}, null, 0, null), 1e-6);
    }

    @Test
    void crossEntropyOnTwoDimensionalLogits() {
        Tensor logits = new Tensor(new float[] {1, 2, 3, 0, 0, 0}, 2, 3);
        assertEquals((Math.log(1 + Math.exp(-1) + Math.exp(-2)) + Math.log(3)) / 2,
                LossOp.crossEntropy(logits, new int[] {2, 1}, null, -100, null), 1e-6);
    }

    @Test
    void allIgnoredGivesNaNAndZeroGradientAsPyTorch() {
        Tensor logits = Tensors.gaussian(1, 1, 3, 2, 2);
        Tensor grad = Tensor.full(1f, 1, 3, 2, 2);
        float loss = LossOp.crossEntropy(logits, new int[] {-100, -100, -100, -100}, null, -100, grad);
        assertTrue(Float.isNaN(loss));
        assertArrayEquals(new float[12], grad.data());
    }

    @Test
    void crossEntropyGradientMatchesFiniteDifferences() {
        Tensor logits = Tensors.gaussian(2, 2, 4, 3, 5);
        int[] target = Tensors.classes(3, 30, 4);
        for (int i = 0; i < target.length; i += 4) {
            target[i] = IGNORE;
        }
        float[] weights = {0.3f, 1.7f, 1f, 2.5f};
        Tensor grad = Tensor.zeros(logits.shape());
        LossOp.crossEntropy(logits, target, weights, IGNORE, grad);
        // the mean over 30 pixels makes each gradient small: compare with a tight absolute tolerance
        GradCheck.check("crossEntropy weighted", logits.data(), grad.data(),
                () -> LossOp.crossEntropy(logits, target, weights, IGNORE, null), logits.size(), 4, 1e-2f, 1e-2, 2e-5);
        LossOp.crossEntropy(logits, target, null, IGNORE, grad);
        GradCheck.check("crossEntropy", logits.data(), grad.data(),
                () -> LossOp.crossEntropy(logits, target, null, IGNORE, null), logits.size(), 5, 1e-2f, 1e-2, 2e-5);
    }

    @Test
    void softIoUMatchesHandComputedValue() {
        // two classes, logits 0: p = 0.5 everywhere; targets (0, 1): I = 1, U = 2 + 2 - 1 = 3
        Tensor logits = Tensor.zeros(1, 2, 1, 2);
        assertEquals(-Math.log(1.001 / 3.001), LossOp.softIoU(logits, new int[] {0, 1}, null), 1e-6);
        // two images: per-image IoUs are averaged before the log
        Tensor two = new Tensor(new float[] {0, 0, 0, 0, 50, 0, 0, 0}, 2, 2, 1, 2);
        double iou0 = 1.001 / 3.001;
        double iou1 = (1 + 0.5 + 0.001) / (2 + 2 - 1.5 + 0.001);
        assertEquals(-Math.log((iou0 + iou1) / 2), LossOp.softIoU(two, new int[] {0, 1, 0, 1}, null), 1e-6);
    }

    @Test
    void softIoUGradientMatchesFiniteDifferences() {
        Tensor logits = Tensors.gaussian(6, 3, 3, 4, 5);
        int[] target = Tensors.classes(7, 60, 3);
        Tensor grad = Tensor.zeros(logits.shape());
        float loss = LossOp.softIoU(logits, target, grad);
        assertTrue(loss > 0);
        GradCheck.check("softIoU", logits.data(), grad.data(),
                () -> LossOp.softIoU(logits, target, null), logits.size(), 8, 1e-2f, 1e-2, 2e-5);
    }

    @Test
    void ignoredPixelsChangeNeitherSoftIoUNorItsGradient() {
        Tensor logits = Tensors.gaussian(16, 2, 5, 3, 4);
        int[] target = Tensors.classes(17, 24, 5);
        for (int i = 0; i < target.length; i += 3) {
            target[i] = IGNORE;
        }
        Tensor grad = Tensor.zeros(logits.shape());
        float loss = LossOp.softIoU(logits, target, IGNORE, grad);
        GradCheck.check("softIoU ignore", logits.data(), grad.data(),
                () -> LossOp.softIoU(logits, target, IGNORE, null), logits.size(), 8, 1e-2f, 1e-2, 2e-5);
        // Other logits at the ignored pixels: the same loss and gradient, and a zero gradient there.
        Tensor changed = logits.copy();
        int plane = 12;
        for (int i = 0; i < target.length; i += 3) {
            int n = i / plane;
            for (int c = 0; c < 5; c++) {
                changed.data()[(n * 5 + c) * plane + i % plane] += 3f * (c + 1);
            }
        }
        Tensor grad2 = Tensor.zeros(logits.shape());
        assertEquals(loss, LossOp.softIoU(changed, target, IGNORE, grad2), 0f);
        for (int i = 0; i < grad.size(); i++) {
            assertEquals(grad.data()[i], grad2.data()[i], 0f, "gradient element " + i);
            int pixel = (i / (5 * plane)) * plane + i % plane;
            if (target[pixel] == IGNORE) {
                assertEquals(0f, grad.data()[i], "gradient at an ignored pixel");
            }
        }
    }

    @Test
    void diceGradientMatchesFiniteDifferencesAndIgnoresIgnoredPixels() {
        Tensor logits = Tensors.gaussian(18, 2, 4, 3, 5);
        int[] target = Tensors.classes(19, 30, 3); // class 3 never a target: it adds nothing to the mean
        for (int i = 0; i < target.length; i += 4) {
            target[i] = IGNORE;
        }
        Tensor grad = Tensor.zeros(logits.shape());
        float loss = LossOp.dice(logits, target, IGNORE, grad);
        assertTrue(loss > 0 && loss < 1, "dice loss " + loss);
        GradCheck.check("dice", logits.data(), grad.data(),
                () -> LossOp.dice(logits, target, IGNORE, null), logits.size(), 8, 1e-2f, 1e-2, 2e-5);
        // A perfect, confident prediction has (nearly) no loss.
        Tensor sure = Tensor.zeros(1, 2, 1, 3);
        int[] t = {0, 1, IGNORE};
        sure.data()[0] = 30f;
        sure.data()[4] = 30f;
        assertEquals(0.0, LossOp.dice(sure, t, IGNORE, null), 1e-6);
    }

    @Test
    void rejectsBadTargetsAndShapes() {
        Tensor logits = Tensor.zeros(2, 3, 2, 2);
        int[] target = new int[8];
        target[5] = 3;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LossOp.crossEntropy(logits, target, null, -100, null));
        assertTrue(e.getMessage().contains("LossOp.crossEntropy") && e.getMessage().contains("target 3"),
                e.getMessage());
        target[5] = -100;
        LossOp.crossEntropy(logits, target, null, -100, null);
        assertThrows(IllegalArgumentException.class, () -> LossOp.softIoU(logits, target, null));
        e = assertThrows(IllegalArgumentException.class,
                () -> LossOp.crossEntropy(logits, new int[7], null, -100, null));
        assertTrue(e.getMessage().contains("[2, 3, 2, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> LossOp.crossEntropy(logits, new int[8], new float[2], -100, null));
        assertThrows(IllegalArgumentException.class,
                () -> LossOp.crossEntropy(logits, new int[8], null, -100, Tensor.zeros(2, 3, 2, 3)));
        assertThrows(IllegalArgumentException.class, () -> LossOp.softIoU(Tensor.zeros(6), new int[6], null));
        assertThrows(IllegalArgumentException.class, () -> LossOp.softmax(logits, Tensor.zeros(2, 3, 4)));
    }
}
