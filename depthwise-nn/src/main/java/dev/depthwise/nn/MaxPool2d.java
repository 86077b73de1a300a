package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.PoolOp;

/**
 * Max pooling, as {@code torch.nn.MaxPool2d(kernel, stride)} (no padding, floor mode). It always keeps
 * the argmax indices and its input shape, so a {@link MaxUnpool2d} built on it (SegNet's decoder) can
 * put values back where they came from.
 */
public final class MaxPool2d extends Module {
    private final int kernel;
    private final int stride;
    private int[] indices;
    private int[] inputShape;
    private Tensor out;
    private boolean reluMask;

    public MaxPool2d(int kernel) {
        this(kernel, kernel);
    }

    public MaxPool2d(int kernel, int stride) {
        if (kernel < 1 || stride < 1) {
            throw new IllegalArgumentException("MaxPool2d: kernel and stride must be positive, got "
                    + kernel + ", " + stride);
        }
        this.kernel = kernel;
        this.stride = stride;
    }

    public int kernel() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return g.maxPool(this, x);
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        requireRank(x, 4);
        out = reuse(out, PoolOp.maxPoolOutputShape(x.shape(), kernel, stride));
        if (indices == null || indices.length != out.size()) {
            indices = new int[out.size()];
        }
        PoolOp.maxPool(x, kernel, stride, out, indices);
        inputShape = x.shape();
        return out;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        requireForwardCache(inputShape);
        Tensor gradInput = borrow(inputShape);
        if (reluMask) {
            PoolOp.maxPoolAfterReluBackward(gradOut, indices, out, gradInput);
        } else {
            PoolOp.maxPoolBackward(gradOut, indices, gradInput);
        }
        return gradInput;
    }

    /** Set through {@link Module#chain}: the ReLU before leaves its backward's mask to this pool's. */
    void applyReluMask() {
        this.reluMask = true;
    }

    /** Argmax indices of the last forward (flat {@code h*W+w} inside each input plane, as PyTorch). */
    int[] indices() {
        requireForwardCache(indices);
        return indices;
    }

    /** The input shape of the last forward: the output size of the matching unpool. */
    int[] inputShape() {
        requireForwardCache(inputShape);
        return inputShape;
    }

    @Override
    public String extraRepr() {
        return "kernel_size=" + kernel + ", stride=" + stride + ", padding=0, dilation=1, ceil_mode=False";
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return true;
    }
}
