package dev.depthwise.bench;

import dev.depthwise.engine.Parallel;
import dev.depthwise.models.Models;
import dev.depthwise.nn.inference.CompileOptions;
import dev.depthwise.train.CommandErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Entry point of {@code bin/depthwise bench}: our engine side by side with ONNX Runtime (inference) and
 * PyTorch (training), in one run with the same thread count. Exits non-zero when our outputs and ONNX
 * Runtime's differ by more than {@link ModelBench#MAX_DIFF}.
 */
// Named as users type it: bin/depthwise runs this jar for its `bench` sub-command, so usage and errors read
// "Usage: depthwise bench ...", like the other sub-commands' "Usage: depthwise classify ...".
@Command(name = "depthwise bench", mixinStandardHelpOptions = true, version = "depthwise bench 0.1.0",
        description = "Benchmarks: inference against ONNX Runtime, training against PyTorch, kernels.")
public final class BenchMain implements Callable<Integer> {
    enum What { models, train, kernels, serve, all }

    @Parameters(arity = "0..1", defaultValue = "models", description = "models, train, kernels, serve or all (all: the first three; default: ${DEFAULT-VALUE})")
    What what;

    @Option(names = "--threads", description = "threads for every engine (default: the available processors; "
            + "kernels: 1 and 2)")
    Integer threadsOption;

    @Option(names = "--runs", description = "timed runs per case, after warm-up (default: ${DEFAULT-VALUE})")
    int runs = 5;

    @Option(names = "--warmup", description = "warm-up runs per case (default: ${DEFAULT-VALUE})")
    int warmup = 2;

    @Option(names = "--train-batches", split = ",", description = "batch sizes for bench train (default: 16,64)")
    List<Integer> trainBatches = List.of(16, 64);

    @Option(names = "--isolated", description = "models: also time ours-planned and ONNX Runtime each alone, in a JVM"
            + " of its own per case, and give ratios against ONNX Runtime's better figure; train: also time our "
            + "training step alone, in a JVM of its own per model and batch")
    boolean isolated;

    @Option(names = "--per-layer", description = "models: instead of the summary table, each step of our compiled plan"
            + " timed on its own beside ONNX Runtime's profiled node times for the same layers, at 1 thread and at"
            + " --threads, with sums by kind of op")
    boolean perLayer;

    @Option(names = "--only", paramLabel = "MODEL", description = "only this model (models and train)")
    String only;

    @Option(names = "--layout", description = "bench models: activation layout of the compiled plans, "
            + "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}); NCHW to compare")
    CompileOptions.Layout layout = CompileOptions.Layout.CHANNEL_BLOCKED;

    @Option(names = "--no-fuse-separable", description = "bench models: keep each depthwise conv and the pointwise "
            + "conv after it as two steps, to compare")
    boolean noFuseSeparable;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "serve: the checkpoint the server runs")
    Path checkpoint;

    @Option(names = "--photo", paramLabel = "FILE", description = "serve: the photo every request posts")
    Path photo;

    @Option(names = "--requests", description = "serve: requests per step (default: ${DEFAULT-VALUE})")
    int requests = 200;

    @Option(names = "--step-seconds", description = "serve: time limit of a step (default: ${DEFAULT-VALUE})")
    int stepSeconds = 30;

    @Option(names = "--max-batch", description = "serve: the batched server's --max-batch (default: ${DEFAULT-VALUE})")
    int maxBatch = 8;

    @Option(names = "--queue", description = "serve: requests admitted at once, 429 beyond (default: ${DEFAULT-VALUE})")
    int queue = 32;

    @Option(names = "--workers", description = "serve: the servers' inference workers, each with its own plans; with "
            + "--threads 1 each runs its model on its own thread (default: ${DEFAULT-VALUE})")
    int workers = 1;

    @Option(names = "--no-winograd", description = "bench models: run every dense 3x3 conv as a direct "
            + "convolution, not as a Winograd convolution where the cost model expects that faster, to compare")
    boolean noWinograd;

    @Option(names = "--no-winograd-training", description = "bench train: train every conv as a direct convolution, "
            + "as train --no-winograd, to compare (default: the dense 3x3 convs as Winograd convolutions where the cost "
            + "model expects that faster, as train)")
    boolean noWinogradTraining;

    @Spec
    CommandSpec spec;

    private final String command;

    BenchMain(String command) {
        this.command = command;
    }

    public static void main(String[] args) {
        // bin/depthwise passes its sub-command name along; java -jar depthwise-bench.jar does not.
        if (args.length > 0 && args[0].equals("bench")) {
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        }
        String command = "bin/depthwise bench" + (args.length == 0 ? "" : " " + String.join(" ", args));
        System.exit(CommandErrors.withOneLineUsage(new BenchMain(command), "depthwise bench").execute(args));
    }

    @Override
    public Integer call() throws Exception {
        int threads = threadsOption != null ? threadsOption : Runtime.getRuntime().availableProcessors();
        if (threads < 1 || runs < 1 || warmup < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--threads and --runs must be at least 1, --warmup at least 0");
        }
        if (only != null && !Models.NAMES.contains(only)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--only: unknown model '" + only
                    + "' (" + String.join(", ", Models.NAMES) + ")");
        }
        if (trainBatches.stream().anyMatch(b -> b < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--train-batches must all be at least 1");
        }
        if (what == What.serve && (checkpoint == null || photo == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "bench serve needs --checkpoint FILE and --photo FILE");
        }
        if (requests < 1 || stepSeconds < 1 || maxBatch < 2 || queue < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--requests, --step-seconds and --queue must be at least 1, --max-batch at least 2");
        }
        Parallel.setThreads(threads);
        System.out.println(Machine.header(threads, command));
        System.out.println();
        boolean ok = true;
        if (what == What.models || what == What.all) {
            CompileOptions options = CompileOptions.defaults().withLayout(layout).withFuseSeparable(!noFuseSeparable)
                    .withWinograd(!noWinograd);
            if (perLayer) {
                new LayerBench(threads, warmup, runs, only, options, System.out).run();
            } else {
                ok &= new ModelBench(threads, warmup, runs, only, options, isolated, System.out).run();
            }
        }
        if (what == What.train || what == What.all) {
            new TrainBench(threads, warmup, runs, trainBatches, only, !noWinogradTraining, isolated, System.out).run();
        }
        if (what == What.kernels || what == What.all) {
            System.out.println();
            KernelBench.run(threadsOption == null ? new int[] {1, 2} : new int[] {threads}, runs, null);
        }
        if (what == What.serve) {
            new ServeBench(checkpoint, photo, requests, Duration.ofSeconds(stepSeconds), maxBatch, queue, workers,
                    System.out).run();
        }
        return ok ? 0 : 1;
    }
}
