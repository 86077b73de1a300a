package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;

/** {@code [N, C, H, W] -> [N, C*H*W]} as {@code torch.nn.Flatten()}: a view of the same data, no copy. */
public final class Flatten extends Module {
    private int[] inputShape;

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        int[] s = x.shape();
        int rest = 1;
        for (int i = 1; i < s.length; i++) {
            rest *= s[i];
        }
        return g.reshape(x, s[0], rest);
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        inputShape = x.shape();
        return x.reshape(x.dim(0), x.size() / Math.max(1, x.dim(0)));
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        requireForwardCache(inputShape);
        return gradOut.reshape(inputShape);
    }

    @Override
    public String extraRepr() {
        return "start_dim=1, end_dim=-1";
    }
}
