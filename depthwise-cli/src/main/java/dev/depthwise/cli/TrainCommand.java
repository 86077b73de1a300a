package dev.depthwise.cli;

import dev.depthwise.data.DecodeLimits;
import dev.depthwise.engine.Parallel;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.train.Progress;
import dev.depthwise.data.Dataset;
import dev.depthwise.data.Datasets;
import dev.depthwise.data.Layout;
import dev.depthwise.train.DatasetConfig;
import dev.depthwise.train.RunConfig;
import dev.depthwise.train.TransferConfig;
import dev.depthwise.train.Trainer;
import dev.depthwise.train.WorkerGroup;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code depthwise train}: trains a segmentation model on an Oxford-IIIT Pet layout directory. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a segmentation model on a dataset folder: Oxford-IIIT Pet, plain images/ + masks/,"
                        + " Pascal VOC or colour masks (detected; --layout forces one). The model gets one output per class.",
                "Defaults are the article's recipe: SegNet-DSC, Adam lr 1e-3, StepLR(7, 0.7), cross-entropy, "
                        + "batch 16, 128x128, 20 epochs; --recipe small-data for tens or hundreds of images.",
                "After each epoch: test metrics, OUT/epochs/epoch-NN.png and OUT/last.safetensors "
                        + "(+ best.safetensors); at the end OUT/report.html.",
                "A run directory that already holds a run is never replaced silently: give --resume to continue "
                        + "it or --overwrite to start again."})
public final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

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
            + " and cosine, CE + Dice, 30 epochs at batch 8, the best epoch chosen on a fifth of the training data,"
            + " flip test-time augmentation in eval and segment.")
    String recipe;

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

    @Mixin
    ThreadsOption threads;

    @Option(names = "--loader-threads", defaultValue = "2", description = "Image decoding threads (default ${DEFAULT-VALUE}).")
    int loaderThreads;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation, data order and augmentation (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", description = "Run directory (default runs/MODEL).")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint, with its saved settings.")
    boolean resume;

    @Option(names = "--overwrite", description = "Delete the run in --out (checkpoints, epoch grids, report) and start a new one.")
    boolean overwrite;

    @Mixin
    DecodeLimitsOption decodeLimits;

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

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        if (resume && overwrite) {
            throw new IllegalArgumentException("--resume and --overwrite exclude each other");
        }
        DecodeLimits limits = decodeLimits.limits();
        if (loaderThreads < 1) {
            throw new IllegalArgumentException("--loader-threads must be >= 1, got " + loaderThreads);
        }
        threads.apply();
        Path dir = out != null ? out : Path.of("runs", model);
        RunConfig config;
        if (resume) {
            config = Trainer.resumedConfig(dir, epochs);
        } else {
            config = newRunConfig();
        }
        System.err.printf(Locale.ROOT, "training %s on %s: %d epochs, batch %d, %dx%d, %s lr %s, %s, loss %s, %d threads -> %s%n",
                config.model().get("name"), config.dataDir(), config.epochs(), config.batchSize(), config.imageSize(),
                config.imageSize(), config.optimizer(), config.lr(), config.lrScheduler().describe(), config.loss(),
                Parallel.threads(), dir);
        Trainer.Start start = resume ? Trainer.Start.RESUME : overwrite ? Trainer.Start.OVERWRITE : Trainer.Start.NEW;
        Trainer.Result result;
        try {
            result = new Trainer(config, dir, Progress.toStderr(), loaderThreads, WorkerGroup.SINGLE, limits).run(start);
        } catch (Trainer.RunExistsException e) {
            throw new IllegalArgumentException(e.getMessage() + "; give --resume to continue it, --overwrite to "
                    + "replace it, or another --out", e);
        }
        stdout.printf(Locale.ROOT, "test pixel accuracy %.4f, IoU %.4f after %d epochs%n",
                result.last().pixelAccuracy(), result.last().iou(), result.last().epoch());
        if (result.chosen() != result.last()) {
            stdout.printf(Locale.ROOT, "best epoch by validation IoU: %d (best.safetensors), test pixel accuracy %.4f, IoU %.4f%n",
                    result.chosen().epoch(), result.chosen().pixelAccuracy(), result.chosen().iou());
        }
        stdout.println("report:      " + result.report());
        stdout.println("checkpoint:  " + result.lastCheckpoint()
                + (result.bestCheckpoint() != null ? " (best: " + result.bestCheckpoint() + ")" : ""));
        return 0;
    }

    /**
     * The new run that {@code train} options describe (the run directory, threads and --resume aside): what the
     * Spark job's {@code train} takes, so both read the same options the same way.
     *
     * @throws picocli.CommandLine.ParameterException naming an unknown or malformed option
     */
    public static RunConfig parseRunConfig(String... args) {
        TrainCommand command = new TrainCommand();
        new CommandLine(command).parseArgs(args);
        return command.newRunConfig();
    }

    private RunConfig newRunConfig() {
        if (data == null) {
            throw new IllegalArgumentException("--data DIR is required (or --resume to continue a run)");
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
                        init == null ? null : init.toString()), base.recipe());
    }
}
