package dev.depthwise.train;

import dev.depthwise.data.Mask;
import dev.depthwise.models.Models;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything that defines a training run, saved in every checkpoint so that {@code --resume} rebuilds the
 * same run, and sent to the workers of a data-parallel run (hence serialisable). Defaults are the article's
 * recipe ({@link #article}).
 *
 * @param model        model registry name and options, as {@code ModelSpec.toMap()}
 * @param dataDir      the dataset directory (any {@link dev.depthwise.data.Layout})
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
 * @param dataset      layout, classes and the class the headline IoU leaves out ({@link DatasetConfig#DETECT}
 *                     before training; null in checkpoints from before layouts, read as DETECT)
 * @param transfer     starting weights other than the seed's ({@link TransferConfig#NONE}; null read as NONE)
 * @param recipe       {@link #ARTICLE} or {@link #SMALL_DATA}: the augmentation and flip test-time augmentation
 *                     (null read as the article's)
 * @param validationFraction the share of the training pairs held out, seeded, to choose the best epoch on
 *                     ({@code best.safetensors}); 0 for none, and then no epoch is chosen (null: the recipe's,
 *                     {@link #defaultValidationFraction})
 */
public record RunConfig(Map<String, String> model, String dataDir, int epochs, int batchSize, int imageSize,
                        String optimizer, double lr, Double weightDecay, double momentum, boolean nesterov,
                        String scheduler, int stepSize, double gamma, String loss, long seed, DatasetConfig dataset,
                        TransferConfig transfer, String recipe, Double validationFraction) implements Serializable {
    public static final String ARTICLE = "article";
    public static final String SMALL_DATA = "small-data";
    private static final int WARMUP_EPOCHS = 2;

    /** A run on a dataset whose layout and classes are detected when training starts. */
    public RunConfig(Map<String, String> model, String dataDir, int epochs, int batchSize, int imageSize,
                     String optimizer, double lr, Double weightDecay, double momentum, boolean nesterov,
                     String scheduler, int stepSize, double gamma, String loss, long seed) {
        this(model, dataDir, epochs, batchSize, imageSize, optimizer, lr, weightDecay, momentum, nesterov, scheduler,
                stepSize, gamma, loss, seed, DatasetConfig.DETECT, TransferConfig.NONE, ARTICLE, null);
    }

    public RunConfig {
        dataset = dataset == null ? DatasetConfig.DETECT : dataset;
        transfer = transfer == null ? TransferConfig.NONE : transfer;
        recipe = recipe == null ? ARTICLE : recipe;
        if (!recipe.equals(ARTICLE) && !recipe.equals(SMALL_DATA)) {
            throw new IllegalArgumentException("unknown recipe '" + recipe + "' (" + ARTICLE + ", " + SMALL_DATA + ")");
        }
        validationFraction = validationFraction == null ? defaultValidationFraction(recipe) : validationFraction;
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("--validation-fraction must be >= 0 (0: no validation carve) and < 1, got "
                    + validationFraction);
        }
        if ((transfer.encoderWeights() != null || transfer.freezeEncoderEpochs() > 0)
                && !Models.MOBILENET_V2_SEG.equals(model.get("name"))) {
            throw new IllegalArgumentException("--encoder-weights and --freeze-encoder-epochs act on a MobileNetV2"
                    + " encoder: train --model " + Models.MOBILENET_V2_SEG + " (not " + model.get("name") + ")");
        }
        model = Collections.unmodifiableMap(new LinkedHashMap<>(model)); // keeps ModelSpec's key order in JSON
        if (Models.MOBILENET_V2.equals(model.get("name"))) {
            throw new IllegalArgumentException("mobilenet_v2 is an image classifier; segmentation trains "
                    + Models.SEGNET_DSC + ", " + Models.SEGNET + " or " + Models.MOBILENET_V2_SEG);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        }
        if (imageSize < 16) {
            throw new IllegalArgumentException("--image-size must be >= 16, got " + imageSize);
        }
        optimizer = optimizer.toLowerCase(Locale.ROOT);
        scheduler = scheduler.toLowerCase(Locale.ROOT);
        loss = Loss.of(loss).cliName();
        if (!List.of("step", "cosine", "warmup-cosine", "none").contains(scheduler)) {
            throw new IllegalArgumentException("unknown scheduler '" + scheduler + "' (step, cosine, warmup-cosine, none)");
        }
        if (!optimizer.equals("adam") && !optimizer.equals("adamw") && !optimizer.equals("sgd")) {
            throw new IllegalArgumentException("unknown optimizer '" + optimizer + "' (adam, adamw, sgd)");
        }
        // Checked here, before any epoch: a NaN or infinite rate otherwise shows only as a NaN loss some steps in.
        requireFinite("lr", lr, true);
        if (weightDecay != null) {
            requireFinite("weight decay", weightDecay, true);
        }
        requireFinite("momentum", momentum, true);
        if (optimizer.equals("sgd") && nesterov && momentum == 0) {
            throw new IllegalArgumentException("run: Nesterov momentum needs a momentum > 0");
        }
        if (scheduler.equals("step")) {
            requireFinite("gamma", gamma, false);
            if (stepSize < 1) {
                throw new IllegalArgumentException("run: step size must be >= 1, got " + stepSize);
            }
        }
    }

    private static void requireFinite(String name, double value, boolean zeroAllowed) {
        if (!Double.isFinite(value) || value < 0 || (!zeroAllowed && value == 0)) {
            throw new IllegalArgumentException("run: " + name + " must be a finite number " + (zeroAllowed ? ">= 0" : "> 0")
                    + ", got " + value);
        }
    }

    /** The article's recipe: Adam lr 1e-3, StepLR(7, 0.7), cross-entropy, batch 16, 128×128, 20 epochs. */
    public static RunConfig article(Map<String, String> model, Path dataDir, long seed) {
        return new RunConfig(model, dataDir.toString(), 20, 16, 128, "adam", 1e-3, null, 0.9, false,
                "step", 7, 0.7, "ce", seed);
    }

    /**
     * The recipe for tens or hundreds of images: augmentation that pays on small sets (flips, colour jitter,
     * random zoom-crops and small rotations), a warm-up and cosine schedule, cross-entropy plus Dice, the best
     * epoch chosen on a fifth of the training data held out, and flip test-time augmentation; 30 epochs, batch 8.
     */
    public static RunConfig smallData(Map<String, String> model, Path dataDir, long seed) {
        return new RunConfig(model, dataDir.toString(), 30, 8, 128, "adam", 1e-3, null, 0.9, false,
                "warmup-cosine", 7, 0.7, "ce+dice", seed, DatasetConfig.DETECT, TransferConfig.NONE, SMALL_DATA, null);
    }

    /**
     * A recipe's validation carve: a fifth for the small-data recipe, whose point is choosing the epoch; none for
     * the article's, which trains on all of its training split and keeps its last epoch, as the article does (so
     * its figures stay comparable with the article's and with earlier runs).
     */
    public static double defaultValidationFraction(String recipe) {
        return SMALL_DATA.equals(recipe) ? 0.2 : 0;
    }

    /** True for the small-data recipe: flip test-time augmentation in evaluation and segmentation. */
    public boolean flipTta() {
        return SMALL_DATA.equals(recipe);
    }

    /** True when the run holds out part of its training pairs to choose its best epoch on. */
    public boolean hasValidationCarve() {
        return validationFraction > 0;
    }

    public RunConfig withEpochs(int value) {
        return new RunConfig(model, dataDir, value, batchSize, imageSize, optimizer, lr, weightDecay, momentum,
                nesterov, scheduler, stepSize, gamma, loss, seed, dataset, transfer, recipe, validationFraction);
    }

    public RunConfig withDataset(DatasetConfig value) {
        return new RunConfig(model, dataDir, epochs, batchSize, imageSize, optimizer, lr, weightDecay, momentum,
                nesterov, scheduler, stepSize, gamma, loss, seed, value, transfer, recipe, validationFraction);
    }

    public RunConfig withTransfer(TransferConfig value) {
        return new RunConfig(model, dataDir, epochs, batchSize, imageSize, optimizer, lr, weightDecay, momentum,
                nesterov, scheduler, stepSize, gamma, loss, seed, dataset, value, recipe, validationFraction);
    }

    public RunConfig withModel(Map<String, String> value) {
        return new RunConfig(value, dataDir, epochs, batchSize, imageSize, optimizer, lr, weightDecay, momentum,
                nesterov, scheduler, stepSize, gamma, loss, seed, dataset, transfer, recipe, validationFraction);
    }

    /** The class names: the resolved dataset's, or for an older checkpoint the model's class count's defaults. */
    public List<String> classNames() {
        if (dataset.classNames() != null) {
            return dataset.classNames();
        }
        return SegmentationMetrics.defaultNames(Integer.parseInt(model.getOrDefault("classes", "3")));
    }

    /** The class the headline IoU leaves out (-1 for none); background, as the article, for an older checkpoint. */
    public int iouIgnoredClass() {
        return dataset.iouIgnoredClass() != null ? dataset.iouIgnoredClass() : Mask.BACKGROUND;
    }

    /** Fresh metrics for this run's classes. */
    public SegmentationMetrics newMetrics() {
        return new SegmentationMetrics(classNames(), iouIgnoredClass());
    }

    /** The learning-rate schedule of this run. */
    public LrScheduler lrScheduler() {
        return switch (scheduler) {
            case "step" -> LrScheduler.step(lr, stepSize, gamma);
            case "cosine" -> LrScheduler.cosine(lr, epochs, 0);
            case "warmup-cosine" -> LrScheduler.warmupCosine(lr, Math.min(WARMUP_EPOCHS, epochs - 1), epochs);
            default -> LrScheduler.constant(lr);
        };
    }
}
