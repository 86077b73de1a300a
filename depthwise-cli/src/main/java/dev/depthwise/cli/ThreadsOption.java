package dev.depthwise.cli;

import dev.depthwise.engine.Parallel;
import picocli.CommandLine.Option;

/** The {@code --threads} option shared by the compute commands (a picocli mixin). */
final class ThreadsOption {
    /**
     * More compute threads than cores only take turns on them, and each spins before it parks: 10,000 threads on
     * 2 cores kept a one-epoch run from finishing in minutes. A few per core still allows an oversubscription test.
     */
    static final int MAX_PER_CORE = 4;

    @Option(names = "--threads", description = "Compute threads (default: all cores; at most "
            + MAX_PER_CORE + " per core).")
    Integer threads;

    /** Sizes the compute team when {@code --threads} was given; otherwise it keeps its default. */
    void apply() {
        if (threads != null) {
            int cores = Runtime.getRuntime().availableProcessors();
            if (threads < 1 || threads > MAX_PER_CORE * cores) {
                throw new IllegalArgumentException("--threads must be 1 to " + MAX_PER_CORE * cores + " ("
                        + MAX_PER_CORE + " per core, " + cores + " here), got " + threads);
            }
            Parallel.setThreads(threads);
        }
    }
}
