package dev.depthwise.train;

import dev.depthwise.models.Models;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Everything that defines a training run, saved in every checkpoint so that {@code --resume} rebuilds the
 * same run, and sent to the workers of a data-parallel run (hence serialisable). Defaults are the article's
 * recipe ({@link #article}).
 *
 * @param model        model registry name and options, as {@code ModelSpec.toMap()}
 * @param dataDir      the Oxford-IIIT Pet layout directory
 * @param epochs       total epochs of the run
 * @param batchSize    samples per training step
 * @param imageSize    images and masks are resized to imageSize × imageSize
 * @param optimizer    adam, adamw or sgd
 * @param lr           base learning rate
 * @param weightDecay  null for the optimiser's default (0 for Adam and SGD, 0.01 for AdamW)
 * @param momentum     SGD momentum
 * @param nesterov     SGD Nesterov momentum
 * @param scheduler    step, cosine or none
 * @param stepSize     StepLR step size in epochs
 * @param gamma        StepLR factor
 * @param loss         ce (cross-entropy) or iou (the article's soft-IoU loss)
 * @param seed         seeds the model initialisation, data order and augmentation (per epoch)
 */
public record RunConfig(Map<String, String> model, String dataDir, int epochs, int batchSize, int imageSize,
                        String optimizer, double lr, Double weightDecay, double momentum, boolean nesterov,
                        String scheduler, int stepSize, double gamma, String loss, long seed) implements Serializable {
    public RunConfig {
        model = Collections.unmodifiableMap(new LinkedHashMap<>(model)); // keeps ModelSpec's key order in JSON
        if (Models.MOBILENET_V2.equals(model.get("name"))) {
            throw new IllegalArgumentException("mobilenet_v2 is an image classifier; segmentation trains "
                    + Models.SEGNET_DSC + ", " + Models.SEGNET + " or " + Models.MOBILENET_V2_SEG);
        }
        if (epochs < 1 || batchSize < 1 || imageSize < 16) {
            throw new IllegalArgumentException("run: epochs " + epochs + " and batch size " + batchSize
                    + " must be >= 1, image size " + imageSize + " >= 16");
        }
        optimizer = optimizer.toLowerCase(Locale.ROOT);
        scheduler = scheduler.toLowerCase(Locale.ROOT);
        loss = Loss.of(loss).cliName();
        if (!scheduler.equals("step") && !scheduler.equals("cosine") && !scheduler.equals("none")) {
            throw new IllegalArgumentException("unknown scheduler '" + scheduler + "' (step, cosine, none)");
        }
    }

    /** The article's recipe: Adam lr 1e-3, StepLR(7, 0.7), cross-entropy, batch 16, 128×128, 20 epochs. */
    public static RunConfig article(Map<String, String> model, Path dataDir, long seed) {
        return new RunConfig(model, dataDir.toString(), 20, 16, 128, "adam", 1e-3, null, 0.9, false,
                "step", 7, 0.7, "ce", seed);
    }

    public RunConfig withEpochs(int value) {
        return new RunConfig(model, dataDir, value, batchSize, imageSize, optimizer, lr, weightDecay, momentum,
                nesterov, scheduler, stepSize, gamma, loss, seed);
    }

    /** The learning-rate schedule of this run. */
    public LrScheduler lrScheduler() {
        return switch (scheduler) {
            case "step" -> LrScheduler.step(lr, stepSize, gamma);
            case "cosine" -> LrScheduler.cosine(lr, epochs, 0);
            default -> LrScheduler.constant(lr);
        };
    }
}
