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
    /** Off in a model built without shared buffers, which keeps the depthwise output as a plain layer does. */
    private final boolean recompute;

    public DepthwiseSeparableConv2d(int in, int out, int kernel, int stride, int padding) {
        this(in, out, kernel, stride, padding, false);
    }

    /** With {@code bias}, the pointwise conv has one (for a classifier head); the depthwise never does. */
    public DepthwiseSeparableConv2d(int in, int out, int kernel, int stride, int padding, boolean bias) {
        this.depthwise = addModule("depthwise", new Conv2d(in, in, kernel, stride, padding, in, false));
        this.pointwise = addModule("pointwise", new Conv2d(in, out, 1, 1, 0, 1, bias));
        this.recompute = sharesBuffers();
        if (recompute) {
            depthwise.borrowOutput();
        }
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

    /**
     * The depthwise output lives only while the pointwise conv reads it, in a borrowed buffer, and backward computes
     * it again from the kept input: a depthwise conv costs k² multiply-adds per value against the pointwise conv's
     * {@code in}, and keeping it would hold one more activation per layer for the whole step (SegNet-DSC at batch 16,
     * 128×128: 439 MiB of its 1.5 GiB of kept activations). The recomputation runs the same kernel on the same
     * input, so it gives the same bits.
     */
    @Override
    protected Tensor computeForward(Tensor x) {
        Tensor mid = depthwise.forward(x);
        try {
            return pointwise.forward(mid);
        } finally {
            giveBack(mid);
        }
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        if (!recompute) {
            return depthwise.backward(pointwise.backward(gradOut));
        }
        Tensor x = depthwise.savedInput();
        Tensor mid = depthwise.forwardInto(x, borrow(depthwise.spec().outputShape(x.shape())));
        pointwise.replaceSavedInput(mid);
        // The pointwise conv's two gradients in turn, so its input gradient can go over the recomputed input once
        // the weight gradient has read it: two buffers of this size alive instead of three.
        pointwise.accumulateParameterGradients(gradOut);
        pointwise.inputGradient(gradOut, mid);
        giveBackConsumedGradOut(gradOut);
        return backwardConsuming(depthwise, mid);
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return true;
    }
}
