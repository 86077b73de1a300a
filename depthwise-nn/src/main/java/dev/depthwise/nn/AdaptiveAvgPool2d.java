package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.PoolOp;

/** Global average pooling, {@code torch.nn.AdaptiveAvgPool2d(1)}: {@code [N, C, H, W] -> [N, C, 1, 1]}. */
public final class AdaptiveAvgPool2d extends Module {
    private int[] inputShape;
    private Tensor out;

    /** Only output size 1 (global pooling) is supported, the only one our models use. */
    public AdaptiveAvgPool2d(int outputSize) {
        if (outputSize != 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d: only output_size=1 is supported, got "
                    + outputSize);
        }
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return g.globalAvgPool(x);
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        requireRank(x, 4);
        out = reuse(out, x.n(), x.c(), 1, 1);
        PoolOp.globalAvgPool(x, out);
        inputShape = x.shape();
        return out;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        requireForwardCache(inputShape);
        Tensor gradInput = borrow(inputShape);
        PoolOp.globalAvgPoolBackward(gradOut, gradInput);
        return gradInput;
    }

    @Override
    public String extraRepr() {
        return "output_size=1";
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return true;
    }
}
