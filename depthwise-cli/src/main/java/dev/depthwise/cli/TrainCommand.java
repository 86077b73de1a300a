package dev.depthwise.cli;

import dev.depthwise.train.DecodeLimitsOption;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.op.WinogradPolicy;
import dev.depthwise.train.Progress;
import dev.depthwise.train.RunConfig;
import dev.depthwise.train.TrainOptions;
import dev.depthwise.train.Trainer;
import dev.depthwise.train.TrainingReport;
import dev.depthwise.train.WorkerGroup;
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
                "After each epoch: test metrics, OUT/epochs/epoch-NN.png and OUT/last.safetensors; with a validation "
                        + "carve (--validation-fraction) also OUT/best.safetensors, the epoch with the best validation "
                        + "mean IoU. No epoch is ever chosen on the test split. At the end OUT/report.html.",
                "A run directory that already holds a run is never replaced silently: give --resume to continue "
                        + "it or --overwrite to start again."})
public final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    TrainOptions run;

    @Mixin
    ThreadsOption threads;

    @Option(names = "--loader-threads", defaultValue = "2", description = "Image decoding threads (default ${DEFAULT-VALUE}).")
    int loaderThreads;

    @Option(names = "--out", description = "Run directory (default runs/MODEL).")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint, with its saved settings.")
    boolean resume;

    @Option(names = "--overwrite", description = "Delete the run in --out (checkpoints, epoch grids, report) and start a new one.")
    boolean overwrite;

    @Mixin
    DecodeLimitsOption decodeLimits;

    @Option(names = "--no-winograd", description = "Train every conv as a direct convolution, to compare. By default the "
            + "dense 3x3 convs train as Winograd convolutions where the cost model expects them faster (SegNet's step "
            + "about 1.4x faster); the results differ by float rounding only.")
    boolean noWinograd;

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
        Path dir = out != null ? out : Path.of("runs", run.model());
        RunConfig config;
        if (resume) {
            config = Trainer.resumedConfig(dir, run.epochs());
            Double asked = run.validationFraction();
            if (asked != null && asked.doubleValue() != config.validationFraction()) {
                throw new IllegalArgumentException("--validation-fraction " + asked + ": " + dir + " holds out "
                        + config.validationFraction() + " of its training pairs, and a resumed run keeps its carve");
            }
        } else if (!run.hasData()) {
            throw new IllegalArgumentException("--data DIR is required (or --resume to continue a run)");
        } else {
            config = run.newRunConfig();
        }
        System.err.printf(Locale.ROOT, "training %s on %s: %d epochs, batch %d, %dx%d, %s lr %s, %s, loss %s, %d threads -> %s%n",
                config.model().get("name"), config.dataDir(), config.epochs(), config.batchSize(), config.imageSize(),
                config.imageSize(), config.optimizer(), config.lr(), config.lrScheduler().describe(), config.loss(),
                Parallel.threads(), dir);
        Trainer.Start start = resume ? Trainer.Start.RESUME : overwrite ? Trainer.Start.OVERWRITE : Trainer.Start.NEW;
        Trainer.Result result;
        try {
            result = new Trainer(config, dir, Progress.toStderr(), loaderThreads, WorkerGroup.SINGLE, limits)
                    .withWinograd(noWinograd ? WinogradPolicy.NEVER : WinogradPolicy.COST_MODEL).run(start);
        } catch (Trainer.RunExistsException e) {
            throw new IllegalArgumentException(e.getMessage() + "; give --resume to continue it, --overwrite to "
                    + "replace it, or another --out", e);
        }
        stdout.printf(Locale.ROOT, "test pixel accuracy %.4f, IoU %.4f after %d epochs%n",
                result.last().pixelAccuracy(), result.last().iou(), result.last().epoch());
        stdout.println(TrainingReport.keptEpochText(config, result.history()));
        if (result.chosen() != result.last()) {
            stdout.printf(Locale.ROOT, "kept epoch %d: test pixel accuracy %.4f, IoU %.4f%n", result.chosen().epoch(),
                    result.chosen().pixelAccuracy(), result.chosen().iou());
        }
        stdout.println("report:      " + result.report());
        stdout.println("checkpoint:  " + result.lastCheckpoint()
                + (result.bestCheckpoint() != null ? " (best: " + result.bestCheckpoint() + ")" : ""));
        return 0;
    }

}
