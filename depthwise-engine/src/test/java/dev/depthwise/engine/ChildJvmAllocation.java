package dev.depthwise.engine;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Allocation checks that run in a JVM of their own: a test calls {@link #assertAllocatesNothing} with a class whose
 * {@code main} builds the work and prints {@link #measure}'s line; this JVM starts it with plain {@code java
 * --add-modules jdk.incubator.vector} and only its own {@code -XX:} flags (the 256- and 128-bit executions'
 * {@code -XX:UseAVX} and {@code -XX:MaxVectorSize}).
 *
 * <p>Why a JVM of its own: on JDK 17 the Vector API code of the tests run before can make C2 compile later kernels
 * with boxing (docs/jvm-notes.md, "A JVM's history"), and which tests run first depends on the file system's order.
 * Forwarding the {@code -XX:} flags lets {@code -XX:PerMethodTrapLimit=0} put the child in that state, to see that a
 * check can fail.
 *
 * <p>Steady state needs the JIT: until C2 has compiled the Vector API kernels they run as Java code that allocates,
 * so {@link #measure} runs the work in windows and stops at the first window that allocates nothing; an object made
 * on every call, or a vector left boxed, keeps every window above the bound.
 */
public final class ChildJvmAllocation {
    /** Per window, beyond what reading the counters costs: less than one object per call can hide in it. */
    public static final long SLACK_BYTES = 64;
    /**
     * Windows go on until this long has passed too: C2 compiles in the background, slowly on a loaded machine, and
     * the rarely run kernels reach it last (docs/jvm-notes.md).
     */
    private static final long MIN_NANOS = 30_000_000_000L;
    private static final String RESULT = "best window ";
    private static final long CHILD_TIMEOUT_SECONDS = 120;

    private ChildJvmAllocation() {
    }

    /**
     * Runs {@code work} in windows of {@code window} calls, at least {@code minWindows} of them and for at least 30
     * s, until a window allocates {@link #SLACK_BYTES} or less on the caller and the pool's workers; returns the
     * line the child prints: {@code best window B bytes per W calls, N windows in M ms}.
     */
    public static String measure(Runnable work, int window, int minWindows) {
        long best = Long.MAX_VALUE;
        long start = System.nanoTime();
        int windows = 0;
        while (best > SLACK_BYTES && (windows < minWindows || System.nanoTime() - start < MIN_NANOS)) {
            best = Math.min(best, Parallel.allocatedBytes(work, window));
            windows++;
        }
        return RESULT + best + " bytes per " + window + " calls, " + windows + " windows in "
                + (System.nanoTime() - start) / 1_000_000 + " ms";
    }

    /**
     * Starts {@code main} with {@code args} in a child JVM and fails unless it exits normally and its
     * {@link #measure} line shows a window within {@link #SLACK_BYTES}.
     */
    public static void assertAllocatesNothing(Class<?> main, String... args) throws Exception {
        String what = main.getSimpleName() + (args.length == 0 ? "" : " " + String.join(" ", args));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--add-modules", "jdk.incubator.vector", "-Xmx512m"));
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(f -> f.startsWith("-XX:"))
                .forEach(command::add);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (var in = child.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(child.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS), what + ": the child JVM did not finish");
        assertEquals(0, child.exitValue(), what + ": the child JVM failed:\n" + output);
        String result = output.lines().filter(l -> l.startsWith(RESULT)).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError(what + ": no result from the child JVM:\n" + output));
        String[] words = result.split(" ");
        long best = Long.parseLong(words[2]);
        long calls = Long.parseLong(words[5]);
        assertTrue(best <= SLACK_BYTES, what + ": no window allocated " + SLACK_BYTES + " bytes or less on the caller"
                + " and the workers beyond reading the counters; " + result + " (" + best / calls + " per call)");
    }
}
