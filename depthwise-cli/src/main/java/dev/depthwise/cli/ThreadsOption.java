package dev.depthwise.cli;

import dev.depthwise.engine.Parallel;
import picocli.CommandLine.Option;

/** The {@code --threads} option shared by the compute commands (a picocli mixin). */
final class ThreadsOption {
    @Option(names = "--threads", description = "Compute threads (default: all cores).")
    Integer threads;

    /** Sizes the compute team when {@code --threads} was given; otherwise it keeps its default. */
    void apply() {
        if (threads != null) {
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
            }
            Parallel.setThreads(threads);
        }
    }
}
