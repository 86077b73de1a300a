package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.PoolOp;

/**
 * The inverse of a {@link MaxPool2d}, as {@code torch.nn.MaxUnpool2d}: each value goes back to the
 * position its pool took it from, zeros elsewhere, at the pool's pre-pool size (so odd sizes round-trip).
 * Built on the pool whose indices it uses, as SegNet pairs each decoder stage with its encoder stage.
 */
public final class MaxUnpool2d extends Module {
    private final MaxPool2d pool;
    private Tensor out;

    public MaxUnpool2d(MaxPool2d pool) {
        this.pool = pool;
    }

    /** The pool whose indices and input size this unpool uses. */
    public MaxPool2d pool() {
        return pool;
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return g.maxUnpool(pool, x);
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        requireRank(x, 4);
        int[] target = pool.inputShape();
        if (x.n() != target[0] || x.c() != target[1]) {
            throw new IllegalArgumentException("MaxUnpool2d: input " + x.shapeString()
                    + " does not match its pool's input " + Tensor.shapeString(target));
        }
        out = reuse(out, target);
        PoolOp.maxUnpool(x, pool.indices(), out);
        return out;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        int[] pooled = PoolOp.maxPoolOutputShape(pool.inputShape(), pool.kernel(), pool.stride());
        Tensor gradInput = borrow(pooled);
        PoolOp.maxUnpoolBackward(gradOut, pool.indices(), gradInput);
        return gradInput;
    }

    @Override
    public String extraRepr() {
        return "kernel_size=(" + pool.kernel() + ", " + pool.kernel() + "), stride=(" + pool.stride() + ", "
                + pool.stride() + "), padding=(0, 0)";
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return true;
    }
}
