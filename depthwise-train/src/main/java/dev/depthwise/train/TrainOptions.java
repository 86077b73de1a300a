package dev.depthwise.train;

import dev.depthwise.data.Dataset;
import dev.depthwise.data.Datasets;
import dev.depthwise.data.Layout;
import dev.depthwise.models.ModelSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The options that describe a training run (a picocli mixin): the model, the data, the recipe and its settings.
 * Declared once, here, so that every command that starts a run ({@code depthwise train}, the Spark job's
 * {@code train}) reads the same options the same way; the commands add only their own (where to write, threads).
 */
public final class TrainOptions {
    @Option(names = "--model", defaultValue = "segnet_dsc",
            description = "segnet_dsc, segnet or mobilenet_v2_seg (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--data", description = "Dataset directory; required unless --resume.")
    Path data;

    @Option(names = "--layout", description = "pets, folders, voc or colors (default: detected from the folder).")
    String layout;

    @Option(names = "--colors", description = "Colour map of RGB masks, 'R,G,B name' per line (the colors layout).")
    Path colors;

    @Option(names = "--iou-ignore", description = "The class the headline IoU leaves out, by name, or none "
            + "(default: the background: 'background' for the pets, class 0 otherwise).")
    String iouIgnore;

    @Option(names = "--epochs", description = "Epochs (default 20; with --resume, extends the run if given).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Batch size (default: the recipe's, 16 or 8).")
    Integer batchSize;

    @Option(names = "--image-size", defaultValue = "128", description = "Square input size (default ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(names = "--optimizer", defaultValue = "adam", description = "adam, adamw or sgd (default ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Learning rate (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--weight-decay", description = "Weight decay (default: 0 for adam and sgd, 0.01 for adamw).")
    Double weightDecay;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--nesterov", description = "SGD with Nesterov momentum.")
    boolean nesterov;

    @Option(names = "--scheduler", description = "step, cosine, warmup-cosine or none (default: the recipe's, step or warmup-cosine).")
    String scheduler;

    @Option(names = "--step-size", defaultValue = "7", description = "StepLR step in epochs (default ${DEFAULT-VALUE}).")
    int stepSize;

    @Option(names = "--gamma", defaultValue = "0.7", description = "StepLR factor (default ${DEFAULT-VALUE}).")
    double gamma;

    @Option(names = "--loss", description = "ce (cross-entropy), iou (soft IoU) or ce+dice (default: the recipe's, ce or ce+dice).")
    String loss;

    @Option(names = "--recipe", defaultValue = RunConfig.ARTICLE, description = "article (the default) or small-data:"
            + " for tens or hundreds of images, stronger augmentation (zoom-crops, rotations, colour jitter), warm-up"
            + " and cosine, CE + Dice, 30 epochs at batch 8, the best epoch by mean IoU on a fifth of the training data,"
            + " flip test-time augmentation in eval and segment.")
    String recipe;

    @Option(names = "--validation-fraction", paramLabel = "F", description = "Hold out this share of the training"
            + " pairs (seeded, listed in OUT/split/validation.json) and keep the epoch with the best validation mean IoU"
            + " as best.safetensors; 0 for none, and then no epoch is chosen: never on the test split. Default: the"
            + " recipe's, 0.2 for small-data; 0 for the article's, which trains on all of its training split and keeps"
            + " its last epoch as the article does, so that its figures stay comparable (give 0.1 for a best epoch).")
    Double validationFraction;

    @Option(names = "--encoder-weights", description = "mobilenet_v2_seg: start the encoder from torchvision's ImageNet "
            + "MobileNetV2 weights (mobilenet_v2-b0353104.pth, or safetensors).")
    Path encoderWeights;

    @Option(names = "--freeze-encoder-epochs", defaultValue = "0",
            description = "mobilenet_v2_seg: leave the encoder's weights as they are for the first K epochs (default ${DEFAULT-VALUE}).")
    int freezeEncoderEpochs;

    @Option(names = "--init", description = "Start from a training checkpoint (the head starts afresh if its class count differs).")
    Path init;

    @Option(names = "--plain-head", description = "SegNet: end on a plain conv instead of the article's conv-BN-ReLU.")
    boolean plainHead;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation, data order and augmentation (default ${DEFAULT-VALUE}).")
    long seed;

    /** The model's name, as given. */
    public String model() {
        return model;
    }

    /** Whether --data was given. */
    public boolean hasData() {
        return data != null;
    }

    /** The validation fraction, or null when not given (the recipe's; a resumed run keeps its own). */
    public Double validationFraction() {
        return validationFraction;
    }

    /** The epoch count, or null when not given (a resumed run keeps its own). */
    public Integer epochs() {
        return epochs;
    }

    /** The dataset options as given; the class left out of the IoU is looked up among the dataset's classes. */
    private DatasetConfig datasetConfig() {
        DatasetConfig asked = new DatasetConfig(layout == null ? null : Layout.of(layout).cliName(),
                colors == null ? null : colors.toString(), null, null);
        if (iouIgnore == null) {
            return asked;
        }
        Dataset found = Datasets.open(data, asked.openOptions(seed, null));
        return new DatasetConfig(asked.layout(), asked.colors(), null,
                DatasetConfig.classIndex(found.classNames(), iouIgnore));
    }

    /**
     * The new run these options describe.
     *
     * @throws IllegalArgumentException naming the option at fault
     */
    public RunConfig newRunConfig() {
        if (data == null) {
            throw new IllegalArgumentException("--data DIR is required");
        }
        ModelSpec spec = ModelSpec.of(model).withPlainHead(plainHead).withSeed(seed);
        RunConfig base = switch (recipe) {
            case RunConfig.ARTICLE -> RunConfig.article(spec.toMap(), data, seed);
            case RunConfig.SMALL_DATA -> RunConfig.smallData(spec.toMap(), data, seed);
            default -> throw new IllegalArgumentException("unknown --recipe '" + recipe + "' (article, small-data)");
        };
        return new RunConfig(spec.toMap(), data.toString(), epochs != null ? epochs : base.epochs(),
                batchSize != null ? batchSize : base.batchSize(), imageSize, optimizer, lr, weightDecay, momentum,
                nesterov, scheduler != null ? scheduler : base.scheduler(), stepSize, gamma,
                loss != null ? loss : base.loss(), seed, datasetConfig(),
                new TransferConfig(encoderWeights == null ? null : encoderWeights.toString(), freezeEncoderEpochs,
                        init == null ? null : init.toString()), base.recipe(), validationFraction);
    }
}
