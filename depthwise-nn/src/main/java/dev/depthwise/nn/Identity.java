package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;

/** Passes its input through, as {@code torch.nn.Identity}; a placeholder where a layer is optional. */
public final class Identity extends Module {
    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return x;
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        return x;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        return gradOut;
    }
}
