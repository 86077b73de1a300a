package dev.depthwise.spark;

import dev.depthwise.data.DecodeLimits;
import dev.depthwise.train.DecodeLimitsOption;
import dev.depthwise.train.RunConfig;
import dev.depthwise.train.TrainOptions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code train}: data-parallel training over --workers barrier tasks, with {@code depthwise train}'s options. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a segmentation model data-parallel: --workers tasks start together, each trains on "
                + "its shard with batch-size / workers images per step, and the gradients are averaged every step "
                + "by a ring all-reduce between the tasks.",
                "The run's options are depthwise train's (--data, --model, --epochs, --batch-size, ...); --data must be "
                        + "at the same path on every executor. Threads per worker: spark.task.cpus."})
final class TrainJob implements Callable<Integer> {
    @Option(names = "--workers", required = true, paramLabel = "K", description = "Barrier tasks (at most the cluster's task slots).")
    int workers;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Run folder for the checkpoints and report (any Hadoop file system).")
    String out;

    @Option(names = "--loader-threads", defaultValue = "1", description = "Image decoding threads per worker (default ${DEFAULT-VALUE}).")
    int loaderThreads;

    @Option(names = "--peer-timeout", paramLabel = "SECONDS", defaultValue = "" + SparkTrainer.DEFAULT_PEER_TIMEOUT_SECONDS,
            description = "Fail the run when a worker has waited this long for another's gradients; it must exceed "
                    + "worker 0's evaluation of the test split after each epoch (default ${DEFAULT-VALUE}).")
    long peerTimeoutSeconds;

    @Mixin
    TrainOptions run;

    @Mixin
    DecodeLimitsOption decodeLimits;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (peerTimeoutSeconds < 1) {
            throw new IllegalArgumentException("--peer-timeout must be at least 1 second, got " + peerTimeoutSeconds);
        }
        DecodeLimits limits = decodeLimits.limits();
        RunConfig config = run.newRunConfig();
        SparkSession spark = SparkMain.session("train");
        SparkTrainer.Result r = SparkTrainer.train(spark, config, workers, out, loaderThreads,
                Duration.ofSeconds(peerTimeoutSeconds), limits);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "test pixel accuracy %.4f, IoU %.4f after %d epochs on %d workers%n",
                r.pixelAccuracy(), r.iou(), r.epochs(), r.workers());
        stdout.printf(Locale.ROOT, "last epoch %.1f img/s in all; %d exchanges (gradients every step, BatchNorm "
                + "statistics every epoch), %.1f ms each, %.0f%% of training time%n",
                r.imagesPerSecond(), r.exchanges(), r.exchangeMillis(), 100 * r.exchangeShare());
        stdout.println("run folder:  " + out + " (report.html, last.safetensors" + (config.hasValidationCarve()
                ? "; best.safetensors, the epoch chosen on the validation carve)" : "; no epoch chosen: no validation carve)"));
        stdout.flush();
        return 0;
    }
}
