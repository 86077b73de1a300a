package dev.depthwise.train;

import dev.depthwise.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentationMetricsTest {
    // Eight pixels worked by hand. Confusion matrix (rows = targets): [2 1 1], [1 1 0], [1 0 1].
    private static final int[] TARGET = {0, 0, 0, 1, 1, 2, 2, 0};
    private static final int[] PREDICTED = {0, 0, 1, 1, 0, 2, 0, 2};

    private static SegmentationMetrics handCase() {
        SegmentationMetrics m = SegmentationMetrics.forTrimaps();
        m.updateLabels(PREDICTED, TARGET);
        return m;
    }

    @Test
    void confusionMatrixCountsTargetsByRowAndPredictionsByColumn() {
        long[][] expected = {{2, 1, 1}, {1, 1, 0}, {1, 0, 1}};
        long[][] actual = handCase().confusion().toArray();
        for (int t = 0; t < 3; t++) {
            assertArrayEquals(expected[t], actual[t], "row " + t);
        }
    }

    @Test
    void pixelAccuracyIsTheFractionOfCorrectPixels() {
        assertEquals(4.0 / 8, handCase().pixelAccuracy(), 1e-12);
    }

    @Test
    void articleIoUDropsBackgroundTargetsAndSumsOverTheOtherClasses() {
        // Background-target pixels dropped: rows [2 1 1] and [1 0 1] remain.
        // pet: TP 2, FN 2, FP 1 (the border pixel predicted pet) -> 5; border: TP 1, FN 1, FP 1 -> 3.
        // The pet pixel predicted background is a FN of pet, not a FP of background (torchmetrics 1.x).
        assertEquals(3.0 / 8, handCase().iou(), 1e-12);
    }

    @Test
    void perClassAndMeanIoUUseEveryPixel() {
        SegmentationMetrics m = handCase();
        assertArrayEquals(new double[] {2.0 / 6, 1.0 / 3, 1.0 / 3}, m.perClassIoU(), 1e-12);
        assertEquals(1.0 / 3, m.meanIoU(), 1e-12);
    }

    @Test
    void meanIoUSkipsClassesAbsentFromTargetsAndPredictions() {
        SegmentationMetrics m = SegmentationMetrics.forTrimaps();
        m.updateLabels(new int[] {0, 0, 1, 0}, new int[] {0, 0, 1, 1});
        // pet 2/3, background 1/2, border absent.
        assertEquals((2.0 / 3 + 0.5) / 2, m.meanIoU(), 1e-12);
    }

    @Test
    void accumulatingBatchesEqualsOneBigBatch() {
        SegmentationMetrics m = SegmentationMetrics.forTrimaps();
        m.updateLabels(new int[] {0, 0, 1, 1}, new int[] {0, 0, 0, 1});
        m.updateLabels(new int[] {0, 2, 0, 2}, new int[] {1, 2, 2, 0});
        assertEquals(handCase().iou(), m.iou(), 1e-12);
        assertEquals(handCase().pixelAccuracy(), m.pixelAccuracy(), 1e-12);
    }

    @Test
    void softIoUFollowsTheArticleFormula() {
        // One image of two pixels. Pixel a: equal logits, p = 1/3 each, target pet.
        // Pixel b: logits (ln 2, 0, 0), p = (1/2, 1/4, 1/4), target background.
        // Per pixel sum(g + p - g p) = 2 - p_target.
        float ln2 = (float) Math.log(2);
        Tensor logits = new Tensor(new float[] {0, ln2, 0, 0, 0, 0}, 1, 3, 1, 2);
        SegmentationMetrics m = SegmentationMetrics.forTrimaps();
        m.update(logits, new int[] {0, 1});
        double intersection = 1.0 / 3 + 1.0 / 4;
        double union = (2 - 1.0 / 3) + (2 - 1.0 / 4);
        assertEquals((intersection + 0.001) / (union + 0.001), m.softIoU(), 1e-6);
        // Argmax of pixel a is the first of equal logits (pet), of pixel b pet too.
        assertEquals(0.5, m.pixelAccuracy(), 1e-12);
    }

    @Test
    void softIoUIsTheMeanOverImages() {
        Tensor logits = new Tensor(new float[] {10, -10, -10, -10, 10, -10}, 2, 3, 1, 1);
        SegmentationMetrics m = SegmentationMetrics.forTrimaps();
        m.update(logits, new int[] {0, 0});
        // Image 1 is (nearly) perfect: 1; image 2 is wrong: (p_pet + 0.001) / (2 - p_pet + 0.001) ~ 0.001 / 2.001.
        assertEquals((1 + 0.001 / 2.001) / 2, m.softIoU(), 1e-6);
    }

    @Test
    void argmaxPicksTheLargestChannelPerPixel() {
        Tensor logits = new Tensor(new float[] {1, 5, 2, 0, 3, 4}, 1, 3, 1, 2);
        assertArrayEquals(new int[] {2, 0}, SegmentationMetrics.argmax(logits));
    }

    @Test
    void badShapesAndClassesAreNamed() {
        SegmentationMetrics m = SegmentationMetrics.forTrimaps();
        var e = assertThrows(IllegalArgumentException.class, () -> m.update(Tensor.zeros(1, 2, 2, 2), new int[8]));
        assertTrue(e.getMessage().contains("[1, 2, 2, 2]"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> m.updateLabels(new int[] {0}, new int[] {3}));
        assertTrue(e2.getMessage().contains("target 3"), e2.getMessage());
    }

    @Test
    void emptyMetricsAreZero() {
        SegmentationMetrics m = SegmentationMetrics.forTrimaps();
        assertEquals(0, m.pixelAccuracy());
        assertEquals(0, m.iou());
        assertEquals(0, m.meanIoU());
        assertEquals(0, m.softIoU());
    }
}
