package dev.depthwise.spark;

import dev.depthwise.data.DecodeLimits;
import dev.depthwise.train.EpochRecord;
import dev.depthwise.train.Progress;
import dev.depthwise.train.RingAllReduce;
import dev.depthwise.train.RunConfig;
import dev.depthwise.train.Trainer;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Trains a segmentation model data-parallel on a Spark cluster: K tasks of one barrier stage (all start together,
 * or none does), each running the ordinary {@link Trainer} on its shard of trainval with batch size / K, the
 * gradients averaged over the tasks after every backward pass by a ring all-reduce between the tasks
 * ({@link BarrierWorkers}), so that the run is the one-machine run at the same batch size. Worker 0 evaluates
 * after each epoch and writes the usual checkpoints, prediction grids and report; the driver writes them into the
 * output folder (any Hadoop file system).
 *
 * <p>The dataset folder is read by every task: it must be at the same path on every executor (a shared mount,
 * or a copy on each node).
 */
public final class SparkTrainer {
    /** A file of worker 0's run folder. */
    record OutputFile(String name, byte[] bytes) implements Serializable {
    }

    /** What one worker reports back to the driver. */
    record WorkerReport(int rank, List<OutputFile> files, long exchanges, double exchangeSeconds,
                        double trainSeconds, double imagesPerSecond, double pixelAccuracy, double iou, int epochs)
            implements Serializable {
    }

    /**
     * What a data-parallel run did.
     *
     * @param imagesPerSecond training images per second over all workers (worker 0's epochs, times K), last epoch
     * @param exchangeMillis  mean wall time of one exchange on worker 0, waiting for the others included
     * @param exchangeShare   the exchanges' share of worker 0's training time
     */
    public record Result(int workers, int epochs, double pixelAccuracy, double iou, double imagesPerSecond,
                         long exchanges, double exchangeMillis, double exchangeShare, List<String> written) {
    }

    /** How long a worker waits for a peer's data before it gives the run up, unless told otherwise (--peer-timeout). */
    public static final long DEFAULT_PEER_TIMEOUT_SECONDS = 1800;

    private SparkTrainer() {
    }

    /** {@link #train(SparkSession, RunConfig, int, String, int, Duration, DecodeLimits)} with the defaults. */
    public static Result train(SparkSession spark, RunConfig config, int workers, String outDir, int loaderThreads)
            throws IOException {
        return train(spark, config, workers, outDir, loaderThreads, Duration.ofSeconds(DEFAULT_PEER_TIMEOUT_SECONDS),
                DecodeLimits.DEFAULT);
    }

    /**
     * Runs {@code config} on {@code workers} barrier tasks and writes worker 0's run folder into {@code outDir}.
     *
     * @param peerTimeout how long a worker waits for another's data (which includes worker 0's evaluation after
     *                    each epoch) before it fails the run, naming the worker it waited for
     * @param decodeLimits what an image or mask may declare before it is decoded (else it is skipped)
     */
    public static Result train(SparkSession spark, RunConfig config, int workers, String outDir, int loaderThreads,
                               Duration peerTimeout, DecodeLimits decodeLimits) throws IOException {
        if (workers < 1) {
            throw new IllegalArgumentException("--workers must be at least 1, got " + workers);
        }
        if (config.batchSize() % workers != 0) {
            throw new IllegalArgumentException("--batch-size " + config.batchSize() + " does not split evenly over "
                    + workers + " workers");
        }
        WorkerReport first = BarrierWorkers.runStage(spark, workers, new Worker(config, loaderThreads, peerTimeout, decodeLimits),
                WorkerReport.class).get(0);
        HadoopFiles files = HadoopFiles.of(spark);
        String root = files.qualify(outDir);
        List<String> written = new ArrayList<>();
        for (OutputFile f : first.files()) {
            files.write(root + "/" + f.name(), f.bytes());
            written.add(root + "/" + f.name());
        }
        double exchangeMillis = first.exchanges() == 0 ? 0 : 1e3 * first.exchangeSeconds() / first.exchanges();
        return new Result(workers, first.epochs(), first.pixelAccuracy(), first.iou(), first.imagesPerSecond() * workers,
                first.exchanges(), exchangeMillis, first.exchangeSeconds() / first.trainSeconds(), written);
    }

    /** One barrier task: a Trainer on this task's shard. */
    private record Worker(RunConfig config, int loaderThreads, Duration peerTimeout, DecodeLimits decodeLimits)
            implements BarrierWorkers.Task<WorkerReport> {
        @Override
        public WorkerReport run(BarrierTaskContext context) throws IOException {
            ExecutorModels.sizeComputeTeam();
            try (RingAllReduce workers = BarrierWorkers.join(context, peerTimeout)) {
                Path runDir = Files.createTempDirectory("depthwise-train-");
                try {
                    Progress progress = workers.writes() ? Progress.toStderr() : Progress.silent();
                    Trainer.Result result = new Trainer(config, runDir, progress, loaderThreads, workers, decodeLimits)
                            .run(Trainer.Start.NEW);
                    double trainSeconds = 0;
                    EpochRecord last = null;
                    List<OutputFile> files = new ArrayList<>();
                    if (workers.writes()) {
                        trainSeconds = result.history().stream().mapToDouble(EpochRecord::seconds).sum();
                        last = result.last();
                        files = readAll(runDir);
                    }
                    return new WorkerReport(workers.rank(), files, workers.sums(), workers.sumSeconds(), trainSeconds,
                            last == null ? 0 : last.imagesPerSecond(), last == null ? 0 : last.pixelAccuracy(),
                            last == null ? 0 : last.iou(), last == null ? 0 : last.epoch());
                } catch (IOException e) {
                    throw new IOException("worker " + workers.rank() + ": " + e.getMessage(), e);
                } finally {
                    deleteAll(runDir);
                }
            }
        }
    }

    private static List<OutputFile> readAll(Path dir) throws IOException {
        List<OutputFile> files = new ArrayList<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.filter(Files::isRegularFile).sorted().toList()) {
                files.add(new OutputFile(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p)));
            }
        }
        return files;
    }

    private static void deleteAll(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
