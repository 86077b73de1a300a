package dev.depthwise.cli;

import dev.depthwise.engine.Parallel;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.train.Progress;
import dev.depthwise.train.RunConfig;
import dev.depthwise.train.Trainer;
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
        description = {"Train a segmentation model on a directory in the Oxford-IIIT Pet layout.",
                "Defaults are the article's recipe: SegNet-DSC, Adam lr 1e-3, StepLR(7, 0.7), cross-entropy, "
                        + "batch 16, 128x128, 20 epochs.",
                "After each epoch: test metrics, OUT/epochs/epoch-NN.png and OUT/last.safetensors "
                        + "(+ best.safetensors); at the end OUT/report.html."})
public final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = "segnet_dsc",
            description = "segnet_dsc, segnet or mobilenet_v2_seg (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--data", description = "Dataset directory (images/, annotations/); required unless --resume.")
    Path data;

    @Option(names = "--epochs", description = "Epochs (default 20; with --resume, extends the run if given).")
    Integer epochs;

    @Option(names = "--batch-size", defaultValue = "16", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

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

    @Option(names = "--scheduler", defaultValue = "step", description = "step, cosine or none (default ${DEFAULT-VALUE}).")
    String scheduler;

    @Option(names = "--step-size", defaultValue = "7", description = "StepLR step in epochs (default ${DEFAULT-VALUE}).")
    int stepSize;

    @Option(names = "--gamma", defaultValue = "0.7", description = "StepLR factor (default ${DEFAULT-VALUE}).")
    double gamma;

    @Option(names = "--loss", defaultValue = "ce", description = "ce (cross-entropy) or iou (soft IoU) (default ${DEFAULT-VALUE}).")
    String loss;

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

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
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
        Trainer.Result result = new Trainer(config, dir, Progress.toStderr(), loaderThreads).run(resume);
        stdout.printf(Locale.ROOT, "test pixel accuracy %.4f, IoU %.4f after %d epochs%n",
                result.last().pixelAccuracy(), result.last().iou(), result.last().epoch());
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
        return new RunConfig(spec.toMap(), data.toString(), epochs != null ? epochs : 20, batchSize, imageSize,
                optimizer, lr, weightDecay, momentum, nesterov, scheduler, stepSize, gamma, loss, seed);
    }
}
