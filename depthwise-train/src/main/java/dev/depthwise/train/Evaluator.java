package dev.depthwise.train;

import dev.depthwise.data.Batch;
import dev.depthwise.data.EvalBatch;
import dev.depthwise.data.PetLoader;
import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.inference.Predictor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Runs a model over a whole split in evaluation mode: metrics, mean loss, and the first few predictions. */
public final class Evaluator {
    /** One evaluated image: its input (CHW floats in [0, 1]), target and predicted classes, all size × size. */
    public record Sample(String name, int size, float[] image, int[] target, int[] predicted) {
    }

    /** The outcome over a split; {@code loss} is the mean per image of the training loss. */
    public record Result(SegmentationMetrics metrics, double loss, int images, List<Sample> samples) {
    }

    private Evaluator() {
    }

    /**
     * Evaluates {@code model} on every batch of {@code loader} (not augmented) into {@code metrics} (fresh),
     * keeping the first {@code keepSamples} images for the prediction grid; with {@code flipTta}, each batch's
     * logits are averaged with those of its mirror image. The model is left in evaluation mode.
     */
    public static Result evaluate(Module model, PetLoader loader, Loss loss, SegmentationMetrics metrics,
                                  boolean flipTta, int keepSamples) {
        // Compiled for the current weights (they change between epochs): eval-mode forward, fused kernels.
        Predictor predictor = new Predictor(model);
        List<Sample> samples = new ArrayList<>();
        double lossSum = 0;
        int images = 0;
        for (EvalBatch eb : loader.evaluation()) {
            Batch batch = eb.batch();
            Tensor logits = FlipTta.logits(predictor, batch.images(), flipTta);
            metrics.update(logits, batch.masks());
            lossSum += loss.value(logits, batch.masks(), null) * batch.size();
            images += batch.size();
            if (samples.size() < keepSamples) {
                keep(batch, SegmentationMetrics.argmax(logits), keepSamples, samples);
            }
        }
        if (images == 0) {
            // Metrics of nothing would print as a table of zeros and pass for a result.
            throw new IllegalStateException("evaluation: none of the " + loader.size()
                    + " listed pairs could be read (each was skipped, see the warnings)");
        }
        return new Result(metrics, lossSum / images, images, samples);
    }

    private static void keep(Batch batch, int[] predicted, int keepSamples, List<Sample> samples) {
        Tensor x = batch.images();
        int size = x.h();
        int plane = size * x.w();
        for (int i = 0; i < batch.size() && samples.size() < keepSamples; i++) {
            float[] image = Arrays.copyOfRange(x.data(), i * 3 * plane, (i + 1) * 3 * plane);
            samples.add(new Sample(batch.names().get(i), size, image,
                    Arrays.copyOfRange(batch.masks(), i * plane, (i + 1) * plane),
                    Arrays.copyOfRange(predicted, i * plane, (i + 1) * plane)));
        }
    }
}
