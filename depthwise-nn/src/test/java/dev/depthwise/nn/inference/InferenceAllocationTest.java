package dev.depthwise.nn.inference;

import dev.depthwise.engine.ChildJvmAllocation;
import org.junit.jupiter.api.Test;

/**
 * A planned forward pass allocates nothing at steady state, on the calling thread or the pool's workers, in a JVM
 * that runs it as an application would: each model in a JVM of its own ({@link SteadyStateAllocation}), started by
 * {@link ChildJvmAllocation} with plain {@code java --add-modules jdk.incubator.vector}. Any allocation made by the
 * plan on every call (a lambda, a shape array, a boxed vector) would keep every window above the bound. This checks
 * the fresh-JVM promise the README makes; why not in this JVM is in docs/jvm-notes.md ("A JVM's history").
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

    private static void assertSteadyStateAllocatesNothing(String model) throws Exception {
        ChildJvmAllocation.assertAllocatesNothing(SteadyStateAllocation.class, model);
    }
}
