package dev.depthwise.spark;

import dev.depthwise.cli.TrainCommand;
import dev.depthwise.train.RunConfig;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code train}: data-parallel training over --workers barrier tasks, with {@code depthwise train}'s options. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a segmentation model data-parallel: --workers tasks start together, each trains on "
                + "its shard with batch-size / workers images per step, and the gradients are averaged every step.",
                "Every other option is depthwise train's (--data, --model, --epochs, --batch-size, ...); --data must be "
                        + "at the same path on every executor. Threads per worker: spark.task.cpus."})
final class TrainJob implements Callable<Integer> {
    @Option(names = "--workers", required = true, paramLabel = "K", description = "Barrier tasks (at most the cluster's task slots).")
    int workers;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Run folder for the checkpoints and report (any Hadoop file system).")
    String out;

    @Option(names = "--loader-threads", defaultValue = "1", description = "Image decoding threads per worker (default ${DEFAULT-VALUE}).")
    int loaderThreads;

    @Unmatched
    List<String> trainOptions = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        RunConfig config = TrainCommand.parseRunConfig(trainOptions.toArray(String[]::new));
        SparkSession spark = SparkMain.session("train");
        SparkTrainer.Result r = SparkTrainer.train(spark, config, workers, out, loaderThreads);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "test pixel accuracy %.4f, IoU %.4f after %d epochs on %d workers%n",
                r.pixelAccuracy(), r.iou(), r.epochs(), r.workers());
        stdout.printf(Locale.ROOT, "last epoch %.1f img/s in all; %d exchanges (gradients every step, BatchNorm "
                + "statistics every epoch), %.1f ms each, %.0f%% of training time%n",
                r.imagesPerSecond(), r.exchanges(), r.exchangeMillis(), 100 * r.exchangeShare());
        stdout.println("run folder:  " + out + " (report.html, last.safetensors)");
        stdout.flush();
        return 0;
    }
}
