package dev.depthwise.nn.inference;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A planned forward pass allocates nothing at steady state, on the calling thread or the pool's workers, in a JVM
 * that runs it as an application would: each model in a JVM of its own ({@link SteadyStateAllocation}), started
 * with plain {@code java --add-modules jdk.incubator.vector} and this JVM's vector-width flags.
 *
 * <p>Steady state needs the JIT: until C2 has compiled the Vector API kernels they run as Java code that allocates,
 * so the child warms up in windows and stops at the first window that allocates nothing. Any allocation made by the
 * plan itself on every call (a lambda, a shape array, a boxed vector) would keep every window above the bound.
 *
 * <p>Why not in this JVM: on JDK 17, after other Vector API code has run in a JVM (here, the hundred tests before
 * this one, with masks and integer vectors), C2 can compile the kernels of a model compiled later with boxing, and
 * which tests ran first depends on the file system's order. docs/jvm-notes.md ("A JVM's history") has the
 * mechanism and how to reproduce it; this test checks the fresh-JVM promise the README makes.
 */
class InferenceAllocationTest {
    @Test
    void mobileNetV2RunAllocatesNothing() throws Exception {
        assertSteadyStateAllocatesNothing("mobilenet_v2");
    }

    @Test
    void segNetDscRunAllocatesNothing() throws Exception {
        assertSteadyStateAllocatesNothing("segnet_dsc");
    }

    @Test
    void segmenterRunAllocatesNothing() throws Exception {
        assertSteadyStateAllocatesNothing("segmenter");
    }

    private static void assertSteadyStateAllocatesNothing(String model) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.add("-Xmx512m");
        // The width the tests run at (the 256- and 128-bit executions pass -XX:UseAVX / -XX:MaxVectorSize).
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (flag.startsWith("-XX:")) {
                command.add(flag);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(SteadyStateAllocation.class.getName());
        command.add(model);
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (var in = child.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), model + ": the child JVM did not finish");
        assertEquals(0, child.exitValue(), model + ": the child JVM failed:\n" + output);
        String result = output.lines().filter(l -> l.startsWith("windows ")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError(model + ": no result from the child JVM:\n" + output));
        String[] f = result.split(" ");
        long best = Long.parseLong(f[5]);
        assertTrue(Boolean.parseBoolean(f[7]), model + ": no window of " + SteadyStateAllocation.WINDOW
                + " runs (of " + f[1] + " windows in " + f[3] + " ms) allocated at most "
                + SteadyStateAllocation.SLACK_BYTES + " bytes on the caller and the workers; the best allocated "
                + best + " (" + best / SteadyStateAllocation.WINDOW + " per run)");
    }
}
