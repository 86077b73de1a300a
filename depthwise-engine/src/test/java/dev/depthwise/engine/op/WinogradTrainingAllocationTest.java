package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training's Winograd convs allocate nothing at steady state, on the calling thread or the pool's workers: the
 * forward and the weight gradient through {@link ConvOp}, one conv as the cost model chooses it (F(4×4), the choice
 * included) and one with F(2×2). Steady state needs the JIT, so the measurement warms up in windows and stops at the
 * first window that allocates nothing, as {@code InferenceAllocationTest}'s does; vectors left boxed by C2 (a SegNet
 * step once allocated 14 GiB, docs/jvm-notes.md) or an object made on every call would keep every window above the
 * bound. The input gradient runs the same Winograd forward on gradOut, but {@link ConvInputGradient} first flips the
 * weights in a task that allocates its lambda and the flipped conv's spec (88 bytes per call, as with direct
 * convolution), so it is left out here, as is the bias gradient, direct convolution's code.
 *
 * <p>The measurement runs in a JVM of its own ({@link #main}), started with this JVM's vector-width flags: on JDK 17
 * the Vector API code of the tests run before it can make C2 compile later kernels with boxing (docs/jvm-notes.md,
 * "A JVM's history"), and which tests run first depends on the file system's order.
 */
class WinogradTrainingAllocationTest {
    private static final int WINDOW = 4;
    private static final int MIN_WINDOWS = 40;
    /** Windows go on until this long has passed too: C2 compiles in the background, slowly on a loaded machine. */
    private static final long MIN_NANOS = 30_000_000_000L;
    /** Per window, beyond what reading the counters costs: less than one object per step can hide in it. */
    private static final long SLACK_BYTES = 64;
    private static final String RESULT = "best window ";

    @Test
    void forwardAndWeightGradientAllocateNothing() throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--add-modules", "jdk.incubator.vector", "-Xmx512m"));
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(f -> f.startsWith("-XX:"))
                .forEach(command::add); // the 256- and 128-bit executions' -XX:UseAVX / -XX:MaxVectorSize
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), getClass().getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish:\n" + output);
        assertEquals(0, child.exitValue(), "the child JVM failed:\n" + output);
        String result = output.lines().filter(l -> l.startsWith(RESULT)).findFirst()
                .orElseThrow(() -> new AssertionError("no result from the child JVM:\n" + output));
        long best = Long.parseLong(result.split(" ")[2]);
        assertTrue(best <= SLACK_BYTES, "no window of " + WINDOW + " training steps allocated " + SLACK_BYTES
                + " bytes or less on the caller and the workers beyond reading the counters: " + result + " ("
                + best / WINDOW + " per step)");
    }

    /** The child JVM: prints {@code best window B bytes, W windows in M ms}. */
    public static void main(String[] args) {
        Conv chosen = new Conv(ConvSpec.of(48, 48, 3, 1, 1, 1), 2, 24, WinogradPolicy.COST_MODEL, 1);
        if (WinogradPolicy.COST_MODEL.tile(chosen.spec, 2, 24, 24) != WinogradConv.Tile.F4) {
            throw new IllegalStateException("the cost model no longer chooses F4 for the conv under test");
        }
        Conv f2 = new Conv(ConvSpec.of(16, 16, 3, 1, 1, 1), 2, 12, WinogradPolicy.always(WinogradConv.Tile.F2), 2);
        long best = Long.MAX_VALUE;
        long start = System.nanoTime();
        int windows = 0;
        while (best > SLACK_BYTES && (windows < MIN_WINDOWS || System.nanoTime() - start < MIN_NANOS)) {
            // What one reading of the counters allocates, taken beside each window: it changes as the JIT compiles
            // the reading itself (816 or 976 bytes here), and the pool's workers start on the first step.
            long first = Parallel.allocatedBytes();
            long before = Parallel.allocatedBytes();
            for (int i = 0; i < WINDOW; i++) {
                chosen.step();
                f2.step();
            }
            best = Math.min(best, Parallel.allocatedBytes() - before - (before - first));
            windows++;
        }
        System.out.println(RESULT + best + " bytes, " + windows + " windows in "
                + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    /** One conv's tensors and a training step on them: the forward, then the weight gradient. */
    private static final class Conv {
        final ConvSpec spec;
        final WinogradPolicy policy;
        final Tensor x, weight, bias, out, gradOut, gradW;

        Conv(ConvSpec spec, int n, int size, WinogradPolicy policy, long seed) {
            this.spec = spec;
            this.policy = policy;
            Random r = new Random(seed);
            int[] xShape = {n, spec.inChannels(), size, size};
            int[] outShape = spec.outputShape(xShape);
            x = new Tensor(Tensors.gaussian(r, n * spec.inChannels() * size * size), xShape);
            weight = new Tensor(Tensors.gaussian(r, spec.outChannels() * spec.inChannels() * 9), spec.weightShape());
            bias = new Tensor(Tensors.gaussian(r, spec.outChannels()), spec.outChannels());
            out = Tensor.zeros(outShape);
            gradOut = new Tensor(Tensors.gaussian(r, out.size()), outShape);
            gradW = Tensor.zeros(spec.weightShape());
        }

        void step() {
            ConvOp.forward(spec, x, weight, bias, out, policy);
            ConvOp.backward(spec, x, weight, gradOut, null, gradW, null, policy);
        }
    }
}
