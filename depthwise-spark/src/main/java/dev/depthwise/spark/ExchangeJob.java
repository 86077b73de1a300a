package dev.depthwise.spark;

import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code bench-exchange}: what one gradient exchange of a model costs between --workers barrier tasks. */
@Command(name = "bench-exchange", mixinStandardHelpOptions = true,
        description = {"Time the exchange train makes after every step: a ring all-reduce of the model's gradients "
                + "between --workers barrier tasks; and, for comparison, a round of Spark's BarrierTaskContext.allGather."})
final class ExchangeJob implements Callable<Integer> {
    @Option(names = "--workers", required = true, paramLabel = "K", description = "Barrier tasks (at most the cluster's task slots).")
    int workers;

    @Option(names = "--model", defaultValue = Models.SEGNET_DSC,
            description = "The model whose gradients are exchanged: segnet_dsc, segnet or mobilenet_v2_seg (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--rounds", defaultValue = "20", description = "Timed exchanges (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--allgather-rounds", defaultValue = "3", description = "Timed allGather rounds (default ${DEFAULT-VALUE}).")
    int allGatherRounds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (workers < 1 || rounds < 1 || allGatherRounds < 0) {
            throw new IllegalArgumentException("--workers and --rounds must be at least 1, --allgather-rounds at least 0");
        }
        // The gradients of every trainable parameter, and the step's image count: what train sends.
        long values = Models.create(ModelSpec.of(model)).trainableParameterCount() + 1;
        PrintWriter out = spec.commandLine().getOut();
        for (ExchangeBench.WorkerTimes t : ExchangeBench.run(SparkMain.session("bench-exchange"), workers,
                Math.toIntExact(values), rounds, allGatherRounds)) {
            out.printf(Locale.ROOT, "worker %d: ring all-reduce of %,d floats (%.1f MB) %.1f ms; allGather round %.0f ms "
                    + "(medians of %d and %d)%n", t.rank(), values, values * 4 / 1e6, t.ringMillis(),
                    t.allGatherMillis(), rounds, allGatherRounds);
        }
        out.flush();
        return 0;
    }
}
