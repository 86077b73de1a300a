package dev.depthwise.train;

import java.util.Map;

/**
 * What one epoch produced, kept in the checkpoint's history and charted in the report.
 *
 * @param epoch      1-based epoch number
 * @param lr         learning rate used during the epoch
 * @param trainLoss  mean training loss over the epoch's batches
 * @param testLoss   mean loss on the test set (same loss as training)
 * @param test       test metrics ({@link SegmentationMetrics#summary()})
 * @param confusion  test confusion matrix, rows = targets
 * @param seconds    wall time of the training part of the epoch
 * @param imagesPerSecond training throughput
 */
public record EpochRecord(int epoch, double lr, double trainLoss, double testLoss, Map<String, Double> test,
                          long[][] confusion, double seconds, double imagesPerSecond) {
    public double pixelAccuracy() {
        return test.getOrDefault("pixel_accuracy", 0.0);
    }

    public double iou() {
        return test.getOrDefault("iou", 0.0);
    }
}
