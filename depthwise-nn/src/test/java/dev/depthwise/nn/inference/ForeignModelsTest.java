package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ChannelBlocks;
import dev.depthwise.engine.op.ElementwiseOp;
import dev.depthwise.models.MobileNetV2;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Lowering;
import dev.depthwise.nn.MaxPool2d;
import dev.depthwise.nn.MaxUnpool2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.ReLU;
import dev.depthwise.nn.Sequential;
import dev.depthwise.nn.Upsample;
import org.junit.jupiter.api.Test;

import static dev.depthwise.nn.inference.InferenceModelTest.assertCompiledMatches;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Models the compiler was not written for compile through their modules' lowerings alone, take the planned path
 * (folded, fused, blocked) and match {@code Module.forward} in both layouts, at sizes no model of ours uses.
 */
class ForeignModelsTest {
    private static final CompileOptions BLOCKED = CompileOptions.defaults();
    private static final CompileOptions NCHW = BLOCKED.withLayout(CompileOptions.Layout.NCHW);

    @Test
    void aSmallUNetWithConcatSkipsBilinearUpsamplingAndAResidual() {
        for (CompileOptions options : new CompileOptions[] {BLOCKED, NCHW}) {
            InferenceModel plan = assertCompiledMatches(new TinyUNet(3, 12, 20, 4), options, 2, 3, 46, 62);
            String printed = plan.toString();
            assertTrue(printed.contains("concat channels") && printed.contains("upsample bilinear")
                    && printed.contains("+ folded bn + relu") && printed.contains("+ residual + relu"), printed);
            boolean blockedValues = printed.matches("(?s).*\\[\\d+, \\d+, \\d+, \\d+, " + ChannelBlocks.SIZE + "\\].*");
            assertTrue(blockedValues == (options == BLOCKED), printed);
        }
    }

    @Test
    void aThreeStageSegNetWithFiveClassesAtAnOddSize() {
        for (CompileOptions options : new CompileOptions[] {BLOCKED, NCHW}) {
            InferenceModel plan = assertCompiledMatches(threeStageSegNet(5), options, 1, 3, 97, 131);
            String printed = plan.toString();
            assertTrue(printed.contains("max unpool") && printed.contains("[1, 5, 97, 131]"), printed);
        }
    }

    @Test
    void aHalfWidthMobileNetV2AtAnOddSize() {
        InferenceModel plan = assertCompiledMatches(new MobileNetV2(6, 0.5, 0.2f, 31), BLOCKED, 1, 3, 97, 131);
        assertTrue(plan.toString().contains("-> 1x1 + folded bn + residual"), plan.toString());
        assertCompiledMatches(new MobileNetV2(6, 0.5, 0.2f, 31), NCHW, 1, 3, 97, 131);
    }

    @Test
    void aLayerWithoutALoweringIsNamedWithItsPath() {
        Module mine = new Module() {
            @Override
            protected Tensor computeForward(Tensor x) {
                return x;
            }

            @Override
            protected Tensor computeBackward(Tensor g) {
                return g;
            }

            @Override
            public String typeName() {
                return "MyLayer";
            }
        };
        Module model = new Sequential(new Conv2d(3, 4, 3, 1, 1, 1, false),
                new Sequential(new Conv2d(4, 4, 1, 1, 0, 1, false), mine));
        var e = assertThrows(NoLoweringException.class, () -> InferenceModel.compile(model, 1, 3, 8, 8));
        assertTrue(e.getMessage().startsWith("1.1: MyLayer cannot be lowered"), e.getMessage());
    }

    /** SegNet's pattern at three stages instead of four: conv-BN-ReLU, pools with indices, mirrored unpools. */
    private static Module threeStageSegNet(int classes) {
        MaxPool2d p1 = new MaxPool2d(2, 2), p2 = new MaxPool2d(2, 2), p3 = new MaxPool2d(2, 2);
        return new Sequential(new BatchNorm2d(3),
                convBnRelu(3, 16), p1, convBnRelu(16, 24), p2, convBnRelu(24, 32), p3,
                new MaxUnpool2d(p3), convBnRelu(32, 24), new MaxUnpool2d(p2), convBnRelu(24, 16),
                new MaxUnpool2d(p1), new Conv2d(16, classes, 3, 1, 1, 1, true));
    }

    private static Sequential convBnRelu(int in, int out) {
        return new Sequential(new Conv2d(in, out, 3, 1, 1, 1, false), new BatchNorm2d(out), new ReLU());
    }

    /**
     * A two-level U-Net: encoder convs, a 2x2 pool, a bottleneck with a residual add before its ReLU, bilinear x2
     * upsampling, the encoder's output concatenated as the skip, decoder convs, a 1x1 head. Eval forward only.
     */
    static final class TinyUNet extends Module {
        private final Sequential encoder;
        private final MaxPool2d pool = new MaxPool2d(2, 2);
        private final Sequential down;
        private final Sequential bottleneck;
        private final ReLU bottleneckRelu = new ReLU();
        private final Upsample up = new Upsample(2, Upsample.Mode.BILINEAR);
        private final Sequential decoder;
        private final Conv2d head;

        TinyUNet(int in, int c1, int c2, int classes) {
            encoder = addModule("encoder", convBnRelu(in, c1));
            addModule("pool", pool);
            down = addModule("down", convBnRelu(c1, c2));
            bottleneck = addModule("bottleneck", new Sequential(new Conv2d(c2, c2, 3, 1, 1, 1, false),
                    new BatchNorm2d(c2)));
            addModule("relu", bottleneckRelu);
            addModule("up", up);
            decoder = addModule("decoder", new Sequential(convBnRelu(c2 + c1, c1), convBnRelu(c1, c1)));
            head = addModule("head", new Conv2d(c1, classes, 1, 1, 0, 1, true));
        }

        @Override
        public Lowering.Value lower(Lowering g, Lowering.Value x) {
            Lowering.Value skip = g.lower("encoder", encoder, x);
            Lowering.Value d = g.lower("down", down, g.lower("pool", pool, skip));
            Lowering.Value b = g.lower("relu", bottleneckRelu, g.add(g.lower("bottleneck", bottleneck, d), d));
            Lowering.Value cat = g.concat(g.lower("up", up, b), skip);
            return g.lower("head", head, g.lower("decoder", decoder, cat));
        }

        @Override
        protected Tensor computeForward(Tensor x) {
            Tensor skip = encoder.forward(x);
            Tensor d = down.forward(pool.forward(skip));
            Tensor sum = Tensor.zeros(d.shape());
            ElementwiseOp.add(bottleneck.forward(d), d, sum);
            Tensor u = up.forward(bottleneckRelu.forward(sum));
            Tensor cat = Tensor.zeros(u.n(), u.c() + skip.c(), u.h(), u.w());
            ElementwiseOp.concatChannels(new Tensor[] {u, skip}, cat);
            return head.forward(decoder.forward(cat));
        }

        @Override
        protected Tensor computeBackward(Tensor gradOut) {
            throw new UnsupportedOperationException("TinyUNet is for inference tests");
        }
    }
}
