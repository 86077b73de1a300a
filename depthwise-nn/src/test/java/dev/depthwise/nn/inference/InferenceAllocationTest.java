package dev.depthwise.nn.inference;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.models.MobileNetV2;
import dev.depthwise.models.MobileNetV2Segmenter;
import dev.depthwise.models.SegNet;
import dev.depthwise.nn.Module;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A planned forward pass allocates nothing at steady state, on the calling thread or the pool's workers.
 * Steady state needs the JIT: until C2 has compiled the Vector API kernels they run as Java code that allocates,
 * so the test warms up in windows and passes at the first window that allocates nothing. Any allocation made by
 * the plan itself on every call (a lambda, a shape array, a boxed vector) would keep every window above the bound.
 */
class InferenceAllocationTest {
    private static final int WINDOW = 50;
    private static final int MIN_WINDOWS = 80;
    /**
     * Windows go on until this long has passed too, since C2 compiles in the background and 80 windows of a small
     * model take only about a second on a loaded machine (the rarely run kernels reach C2 last, docs/jvm-notes.md).
     */
    private static final long MIN_NANOS = 30_000_000_000L;
    /** Per window, beyond what reading the counters costs: less than one object per call can hide in it. */
    private static final long SLACK_BYTES = 64;

    @Test
    void mobileNetV2RunAllocatesNothing() {
        // Stem, expansion, depthwise stride 1 and 2, projection with fused residual, global pool, linear.
        assertSteadyStateAllocatesNothing(new MobileNetV2(10, 0.35, 0.2f, 1), 1, 3, 64, 64);
    }

    @Test
    void segNetDscRunAllocatesNothing() {
        // Input BatchNorm, depthwise and pointwise convs, pools with indices, unpools.
        assertSteadyStateAllocatesNothing(new SegNet(SegNet.ConvKind.DEPTHWISE_SEPARABLE, 3, false, 2), 1, 3, 16, 16);
    }

    @Test
    void segmenterRunAllocatesNothing() {
        // Skips, bilinear upsampling, channel concat, a conv head with bias.
        assertSteadyStateAllocatesNothing(new MobileNetV2Segmenter(3, 0.35, 3), 1, 3, 64, 64);
    }

    private static void assertSteadyStateAllocatesNothing(Module model, int... shape) {
        InferenceModel plan = InferenceModel.compile(model, shape);
        Tensor x = InferenceModelTest.randomInput(3, shape);
        long first = Parallel.allocatedBytes();
        long overhead = Parallel.allocatedBytes() - first; // what one reading of the counters allocates
        long best = Long.MAX_VALUE;
        long start = System.nanoTime();
        int windows = 0;
        for (int w = 0; w < MIN_WINDOWS || System.nanoTime() - start < MIN_NANOS; w++, windows++) {
            long before = Parallel.allocatedBytes();
            for (int i = 0; i < WINDOW; i++) {
                plan.runReusingOutput(x);
            }
            long allocated = Parallel.allocatedBytes() - before;
            best = Math.min(best, allocated);
            if (allocated <= overhead + SLACK_BYTES) {
                return;
            }
        }
        assertTrue(false, "no window of " + WINDOW + " runs (of " + windows + " windows in "
                + (System.nanoTime() - start) / 1_000_000 + " ms) allocated less than " + (overhead + SLACK_BYTES)
                + " bytes on the caller and the workers; the best allocated " + best + " (" + best / WINDOW
                + " per run)");
    }
}
