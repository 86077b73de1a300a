package dev.depthwise.train;

import java.util.Comparator;
import java.util.List;
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
 * @param validation metrics on the validation split carved from the training data, which choose the best epoch
 *                   ({@link RunConfig#validationFraction}), or null for a run without a carve
 */
public record EpochRecord(int epoch, double lr, double trainLoss, double testLoss, Map<String, Double> test,
                          long[][] confusion, double seconds, double imagesPerSecond, Map<String, Double> validation) {
    public EpochRecord(int epoch, double lr, double trainLoss, double testLoss, Map<String, Double> test,
                       long[][] confusion, double seconds, double imagesPerSecond) {
        this(epoch, lr, trainLoss, testLoss, test, confusion, seconds, imagesPerSecond, null);
    }

    /**
     * The score that chooses the best epoch: the validation carve's mean IoU; negative infinity without a carve,
     * for no epoch is chosen on the test split. Not the headline IoU on validation: it drops the pixels whose
     * target is the class it leaves out, so an epoch that calls background pixels pet loses nothing by it and can
     * win by it (at the cost of pixel accuracy); mean IoU counts every class's errors.
     */
    public double selectionScore() {
        return validation != null ? validation.getOrDefault("mean_iou", 0.0) : Double.NEGATIVE_INFINITY;
    }

    /** The epoch a run keeps: the best by validation mean IoU when it has a validation carve, else the last. */
    public static EpochRecord kept(List<EpochRecord> history) {
        EpochRecord last = history.get(history.size() - 1);
        if (last.validation() == null) {
            return last;
        }
        return history.stream().max(Comparator.comparingDouble(EpochRecord::selectionScore)).orElseThrow();
    }

    public double pixelAccuracy() {
        return test.getOrDefault("pixel_accuracy", 0.0);
    }

    public double iou() {
        return test.getOrDefault("iou", 0.0);
    }
}
