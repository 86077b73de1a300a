package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ElementwiseOp;
import dev.depthwise.nn.Conv2dNormActivation;
import dev.depthwise.nn.Lowering;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.ReLU;
import dev.depthwise.nn.ReLU6;
import dev.depthwise.nn.Sequential;
import dev.depthwise.nn.Upsample;

/**
 * One decoder step of {@link MobileNetV2Segmenter}: bilinear ×2 upsampling, concatenation with the
 * encoder's skip at that resolution, then a depthwise 3×3 + BN + ReLU6 and a pointwise 1×1 + BN + ReLU6
 * (the transposed convs of TensorFlow's pix2pix upsampler replaced by the cheaper MobileNet pattern).
 */
final class UpBlock extends Module {
    private final Upsample upsample;
    private final Sequential conv;
    private Tensor skip;
    private Tensor concat;
    private Tensor gradUp;
    private Tensor gradSkip;
    // Reused argument arrays, so a steady forward/backward allocates nothing here.
    private final Tensor[] concatInputs = new Tensor[2];
    private final Tensor[] splitOutputs = new Tensor[2];

    UpBlock(int in, int skipChannels, int out) {
        int mixed = in + skipChannels;
        this.upsample = addModule("upsample", new Upsample(2, Upsample.Mode.BILINEAR));
        this.conv = addModule("conv", new Sequential(
                new Conv2dNormActivation(mixed, mixed, 3, 1, mixed, new ReLU6(true)),
                new Conv2dNormActivation(mixed, out, 1, 1, 1, new ReLU6(true))));
    }

    /** Upsamples {@code x} and merges {@code skip}, which must have twice x's height and width. */
    Tensor forward(Tensor x, Tensor skip) {
        this.skip = skip;
        return forward(x);
    }

    /** The lowering of {@link #forward(Tensor, Tensor)}: upsample {@code x}, join {@code skip}, convolve. */
    Lowering.Value lower(Lowering g, Lowering.Value x, Lowering.Value skip) {
        Lowering.Value u = g.lower("upsample", upsample, x);
        int[] us = u.shape(), ss = skip.shape();
        if (us[0] != ss[0] || us[2] != ss[2] || us[3] != ss[3]) {
            throw g.error("upsampled " + Tensor.shapeString(us) + " does not match skip " + Tensor.shapeString(ss));
        }
        return g.lower("conv", conv, g.concat(u, skip));
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        if (skip == null) {
            throw new IllegalStateException("UpBlock: call forward(x, skip)");
        }
        Tensor u = upsample.forward(x);
        if (u.n() != skip.n() || u.h() != skip.h() || u.w() != skip.w()) {
            throw new IllegalArgumentException("UpBlock: upsampled " + u.shapeString() + " does not match skip "
                    + skip.shapeString() + " (input height and width must be multiples of 32)");
        }
        concat = reuse(concat, u.n(), u.c() + skip.c(), u.h(), u.w());
        concatInputs[0] = u;
        concatInputs[1] = skip;
        ElementwiseOp.concatChannels(concatInputs, concat);
        gradSkip = reuse(gradSkip, skip.shape());
        gradUp = reuse(gradUp, u.shape());
        return conv.forward(concat);
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        Tensor g = conv.backward(gradOut);
        splitOutputs[0] = gradUp;
        splitOutputs[1] = gradSkip;
        ElementwiseOp.splitChannels(g, splitOutputs);
        giveBack(g);
        return upsample.backward(gradUp);
    }

    /** d loss / d skip from the last backward. */
    Tensor skipGradient() {
        return gradSkip;
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return true;
    }

    @Override
    public ReLU trailingActivation() {
        return conv.trailingActivation();
    }
}
