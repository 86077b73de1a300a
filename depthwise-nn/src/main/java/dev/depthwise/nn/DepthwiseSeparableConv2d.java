package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;

/**
 * A depthwise k×k conv (one filter per input channel, {@code groups = in}) followed by a pointwise 1×1
 * conv, both without bias: the drop-in replacement for a k×k conv of part 3 of the article. For 16 → 32
 * channels at 3×3 it has 16·9 + 16·32 = 656 parameters instead of 4,608.
 * State-dict keys: {@code depthwise.weight}, {@code pointwise.weight} (the article's part 3 names are not
 * published; these are ours).
 */
public final class DepthwiseSeparableConv2d extends Module {
    private final Conv2d depthwise;
    private final Conv2d pointwise;

    public DepthwiseSeparableConv2d(int in, int out, int kernel, int stride, int padding) {
        this(in, out, kernel, stride, padding, false);
    }

    /** With {@code bias}, the pointwise conv has one (for a classifier head); the depthwise never does. */
    public DepthwiseSeparableConv2d(int in, int out, int kernel, int stride, int padding, boolean bias) {
        this.depthwise = addModule("depthwise", new Conv2d(in, in, kernel, stride, padding, in, false));
        this.pointwise = addModule("pointwise", new Conv2d(in, out, 1, 1, 0, 1, bias));
    }

    public Conv2d depthwise() {
        return depthwise;
    }

    public Conv2d pointwise() {
        return pointwise;
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return g.lower("pointwise", pointwise, g.lower("depthwise", depthwise, x));
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        return pointwise.forward(depthwise.forward(x));
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        return depthwise.backward(pointwise.backward(gradOut));
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return true;
    }
}
