package dev.depthwise.nn.inference;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ChannelBlocks;
import dev.depthwise.models.MobileNetV2;
import dev.depthwise.models.MobileNetV2Segmenter;
import dev.depthwise.models.SegNet;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.Sequential;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compiled plan computes what the module's own eval-mode forward computes. */
class InferenceModelTest {
    private static final float TOLERANCE = 1e-4f;
    private static final CompileOptions NCHW = CompileOptions.defaults().withLayout(CompileOptions.Layout.NCHW);

    @Test
    void mobileNetV2MatchesModuleForward() {
        assertCompiledMatches(new MobileNetV2(10, 0.35, 0.2f, 1), 2, 3, 64, 64);
    }

    @Test
    void fullWidthMobileNetV2RunsBlockedAndMatchesAtAnOddSize() {
        // Torchvision's channel counts (24, 144 and 160 are not multiples of every block size), planes of odd sizes
        // at every stride-2 layer, and a batch of two.
        Module model = new MobileNetV2(7, 1.0, 0.2f, 13);
        InferenceModel compiled = InferenceModel.compile(model, 2, 3, 45, 51);
        assertTrue(compiled.toString().contains(", " + ChannelBlocks.SIZE + "]"),
                "features in the blocked layout:\n" + compiled);
        assertCompiledMatches(model, 2, 3, 45, 51);
    }

    @Test
    void theBlockedLayoutCanBeTurnedOffAndGivesTheSameResult() {
        Module model = new MobileNetV2(10, 0.35, 0.2f, 14);
        randomiseBatchNorms(model, 15);
        model.eval();
        Tensor x = randomInput(16, 1, 3, 40, 40);
        Tensor blocked = InferenceModel.compile(model, 1, 3, 40, 40).run(x);
        InferenceModel plain = InferenceModel.compile(model, NCHW, 1, 3, 40, 40);
        assertTrue(plain.toString().contains("[1, 10]") && !plain.toString().matches("(?s).*\\[1, \\d+, \\d+, \\d+, \\d+\\].*"),
                "every activation NCHW:\n" + plain);
        Tensor nchw = plain.run(x);
        for (int i = 0; i < nchw.size(); i++) {
            assertEquals(nchw.data()[i], blocked.data()[i], TOLERANCE * Math.max(1, Math.abs(nchw.data()[i])));
        }
    }

    @Test
    void depthwiseAndPointwisePairsAreFusedAndGiveTheSameResultUnfused() {
        Module model = new MobileNetV2(10, 0.35, 0.2f, 24);
        randomiseBatchNorms(model, 25);
        model.eval();
        Tensor x = randomInput(26, 2, 3, 36, 44);
        InferenceModel fused = InferenceModel.compile(model, 2, 3, 36, 44);
        InferenceModel unfused = InferenceModel.compile(model, CompileOptions.defaults().withFuseSeparable(false),
                2, 3, 36, 44);
        // One pair in each of the 17 inverted residual blocks; a block with a residual keeps it in the pair.
        assertEquals(unfused.stepCount() - 17, fused.stepCount(), fused.toString());
        assertTrue(fused.toString().contains("features.3 ") && fused.toString().contains("-> 1x1")
                && fused.toString().contains("+ residual"), fused.toString());
        // The same kernels summing in the same order.
        assertArrayEquals(unfused.run(x).data(), fused.run(x).data());
        assertCompiledMatches(model, 2, 3, 36, 44);
    }

    @Test
    void segNetMatchesModuleForward() {
        // Odd sizes exercise pool/unpool round trips that are not exact halvings.
        assertCompiledMatches(new SegNet(SegNet.ConvKind.REGULAR, 3, false, 2), 1, 3, 40, 36);
    }

    @Test
    void segNetDscMatchesModuleForward() {
        assertCompiledMatches(new SegNet(SegNet.ConvKind.DEPTHWISE_SEPARABLE, 3, true, 3), 2, 3, 32, 32);
    }

    @Test
    void segNetsRunBlockedAndMatchAtOddSizesInBothLayouts() {
        // 40x36 pools to 20x18, 10x9, 5x4 and 2x2: odd rows and columns that no window covers unpool to zero.
        for (SegNet.ConvKind kind : SegNet.ConvKind.values()) {
            Module model = new SegNet(kind, 3, false, 17);
            String plan = InferenceModel.compile(model, 1, 3, 40, 36).toString();
            assertTrue(plan.contains("max unpool") && plan.contains("[1, 1, 40, 36, " + ChannelBlocks.SIZE + "]"),
                    kind + ": pools, unpools and convs in the blocked layout:\n" + plan);
            if (kind == SegNet.ConvKind.REGULAR) {
                assertTrue(plan.contains("(winograd "), kind + ": the wide 3x3 convs as Winograd convs:\n" + plan);
            }
            assertCompiledMatches(model, CompileOptions.defaults(), 1, 3, 40, 36);
            assertCompiledMatches(model, NCHW, 1, 3, 40, 36);
        }
    }

    @Test
    void aPlanWithAThreadCountRunsWithIt() {
        int before = Parallel.threads();
        try {
            InferenceModel plan = InferenceModel.compile(new MobileNetV2(10, 0.35, 0.2f, 1),
                    CompileOptions.defaults().withThreads(1), 1, 3, 32, 32);
            Parallel.setThreads(2);
            plan.runReusingOutput(randomInput(2, 1, 3, 32, 32));
            assertEquals(1, Parallel.threads());
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void aPlanIsBuiltForItsOwnThreadCount() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(2);
            InferenceModel.compile(new MobileNetV2(10, 0.35, 0.2f, 1),
                    CompileOptions.defaults().withThreads(1), 1, 3, 32, 32);
            assertEquals(1, Parallel.threads(), "the kernels split their work for the count the plan runs with");
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void badOptionsAreNamed() {
        var layout = assertThrows(IllegalArgumentException.class, () -> CompileOptions.defaults().withLayout(null));
        assertTrue(layout.getMessage().contains("layout"), layout.getMessage());
        var threads = assertThrows(IllegalArgumentException.class, () -> CompileOptions.defaults().withThreads(-1));
        assertTrue(threads.getMessage().contains("threads") && threads.getMessage().contains("-1"),
                threads.getMessage());
    }

    @Test
    void segmenterMatchesModuleForward() {
        assertCompiledMatches(new MobileNetV2Segmenter(3, 0.35, 4), 1, 3, 64, 64);
    }

    @Test
    void foldingLeavesTheModelUntouched() {
        Module model = new MobileNetV2(10, 0.35, 0.2f, 5);
        randomiseBatchNorms(model, 6);
        var before = model.stateDict().values().stream().map(Tensor::copy).toList();
        InferenceModel.compile(model, 1, 3, 32, 32).run(randomInput(7, 1, 3, 32, 32));
        var after = model.stateDict().values().stream().toList();
        for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(before.get(i).data(), after.get(i).data());
        }
    }

    @Test
    void wrongInputShapeIsRefused() {
        InferenceModel m = InferenceModel.compile(new Sequential(new Conv2d(3, 4, 3, 1, 1, 1, true)), 1, 3, 8, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> m.run(Tensor.zeros(1, 3, 8, 9)));
        assertTrue(e.getMessage().contains("[1, 3, 8, 8]"), e.getMessage());
        var c = assertThrows(IllegalArgumentException.class,
                () -> InferenceModel.compile(new Sequential(new Conv2d(4, 4, 3, 1, 1, 1, true)), 1, 3, 8, 8));
        assertTrue(c.getMessage().contains("0 (Conv2d)"), c.getMessage());
    }

    @Test
    void profileListsEveryStepWithItsTime() {
        InferenceModel m = InferenceModel.compile(new MobileNetV2(10, 0.35, 0.2f, 9), 1, 3, 32, 32);
        String profile = m.profile(randomInput(10, 1, 3, 32, 32), 3);
        assertEquals(m.stepCount() + 1, profile.split("\n").length, profile);
        assertTrue(profile.contains("classifier.1") && profile.contains(" us "), profile);
        // A fused step names every module it does the work of: features.1's depthwise conv, BatchNorm and ReLU6
        // and its pointwise conv and BatchNorm.
        InferenceModel.StepInfo separable = m.steps().get(1);
        assertEquals("features.1.conv", separable.path(), m.toString());
        assertEquals(List.of("features.1.conv.0.0", "features.1.conv.0.1", "features.1.conv.0.2", "features.1.conv.1",
                "features.1.conv.2"), separable.modules());
        long[] nanos = new long[m.stepCount()];
        m.runTimingSteps(randomInput(10, 1, 3, 32, 32), nanos);
        assertTrue(java.util.Arrays.stream(nanos).allMatch(t -> t > 0), java.util.Arrays.toString(nanos));
    }

    @Test
    void buffersAreSharedAcrossSteps() {
        Module model = new SegNet(SegNet.ConvKind.DEPTHWISE_SEPARABLE, 3, false, 8);
        InferenceModel m = InferenceModel.compile(model, 1, 3, 32, 32);
        // Every step's output in its own array would need the sum of all activation sizes.
        long unshared = 0;
        Graph g = InferenceCompiler.compile(model, new int[] {1, 3, 32, 32}, CompileOptions.defaults());
        for (Graph.Node n : g.nodes) {
            unshared += 4L * n.output().size();
        }
        assertTrue(m.activationBytes() < unshared / 3, m.activationBytes() + " vs " + unshared);
    }

    @Test
    void buffersAreLentAcrossSizes() {
        Module model = new MobileNetV2(10, 0.5, 0.2f, 3);
        InferenceModel m = InferenceModel.compile(model, 1, 3, 64, 64);
        // Sharing only between equal sizes needs at least one array per distinct size.
        Graph g = InferenceCompiler.compile(model, new int[] {1, 3, 64, 64}, CompileOptions.defaults());
        long oneArrayPerSize = g.nodes.stream().mapToLong(n -> n.output().size()).distinct().sum() * 4;
        assertTrue(m.activationBytes() < oneArrayPerSize, m.activationBytes() + " vs " + oneArrayPerSize);
        assertCompiledMatches(model, 1, 3, 64, 64);
    }

    static void assertCompiledMatches(Module model, int... shape) {
        assertCompiledMatches(model, CompileOptions.defaults(), shape);
    }

    /** Compiles {@code model} with {@code options} and checks the plan against its eval-mode forward; returns it. */
    static InferenceModel assertCompiledMatches(Module model, CompileOptions options, int... shape) {
        randomiseBatchNorms(model, 11);
        model.eval();
        Tensor x = randomInput(12, shape);
        InferenceModel compiled = InferenceModel.compile(model, options, shape);
        Tensor expected = model.forward(x).copy();
        for (int round = 0; round < 2; round++) { // the second run reuses every buffer
            Tensor actual = compiled.runReusingOutput(x);
            assertArrayEquals(expected.shape(), actual.shape());
            float scale = 1f;
            for (float v : expected.data()) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < expected.size(); i++) {
                float diff = Math.abs(expected.data()[i] - actual.data()[i]);
                if (diff > TOLERANCE * scale) {
                    throw new AssertionError("element " + i + ": module " + expected.data()[i] + ", compiled "
                            + actual.data()[i] + "\n" + compiled);
                }
            }
        }
        Tensor out = Tensor.zeros(compiled.outputShape());
        compiled.run(x, out);
        assertEquals(expected.data()[0], out.data()[0], TOLERANCE * Math.max(1, Math.abs(expected.data()[0])));
        return compiled;
    }

    /** Running statistics and affine parameters away from identity, so folding is really tested. */
    static void randomiseBatchNorms(Module model, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (Module m : model.namedModules().values()) {
            if (m instanceof BatchNorm2d bn) {
                for (int c = 0; c < bn.channels(); c++) {
                    bn.weight().value().data()[c] = (float) rng.nextDouble(0.5, 1.5);
                    bn.bias().value().data()[c] = (float) rng.nextDouble(-0.2, 0.2);
                    bn.runningMean().data()[c] = (float) rng.nextDouble(-0.2, 0.2);
                    bn.runningVar().data()[c] = (float) rng.nextDouble(0.5, 1.5);
                }
            }
        }
    }

    static Tensor randomInput(long seed, int... shape) {
        Tensor x = Tensor.zeros(shape);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = (float) rng.nextDouble(-1, 1);
        }
        return x;
    }
}
