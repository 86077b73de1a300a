package dev.depthwise.nn.inference;

import dev.depthwise.models.SegNet;
import dev.depthwise.nn.Module;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * By default ({@code CompileOptions.withWinograd(true)}) the compiler runs the dense 3x3 convs the engine's cost model picks
 * as Winograd convolutions, and the plan still computes what the module does (within the plan tests' tolerance).
 */
class WinogradPassTest {
    @Test
    void segNetsLargeConvsRunAsWinogradAndMatchModuleForward() {
        Module model = new SegNet(SegNet.ConvKind.REGULAR, 3, false, 5);
        InferenceModel compiled = InferenceModelTest.assertCompiledMatches(model, CompileOptions.defaults(), 1, 3,
                64, 64);
        // 64 channels at 64x64: the model picks F(4x4); the 3-channel first conv stays direct.
        assertTrue(compiled.toString().contains("(winograd F4)"), compiled.toString());
        CompileOptions direct = CompileOptions.defaults().withWinograd(false);
        InferenceModel directPlan = InferenceModelTest.assertCompiledMatches(model, direct, 1, 3, 64, 64);
        assertFalse(directPlan.toString().contains("winograd"), "off when asked: " + directPlan);
    }
}
