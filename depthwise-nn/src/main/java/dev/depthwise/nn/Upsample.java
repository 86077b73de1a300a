package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.UpsampleOp;

/** Upsampling by an integer factor, as {@code torch.nn.Upsample(scale_factor=s, mode=...)} (align_corners=False). */
public final class Upsample extends Module {
    /** Interpolation mode, named as PyTorch's {@code mode} strings. */
    public enum Mode { NEAREST, BILINEAR }

    private final int scale;
    private final Mode mode;
    private int[] inputShape;
    private Tensor out;

    public Upsample(int scale, Mode mode) {
        if (scale < 1) {
            throw new IllegalArgumentException("Upsample: scale must be positive, got " + scale);
        }
        this.scale = scale;
        this.mode = mode;
    }

    public int scale() {
        return scale;
    }

    public Mode mode() {
        return mode;
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return g.upsample(mode, scale, x);
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        requireRank(x, 4);
        out = reuse(out, x.n(), x.c(), x.h() * scale, x.w() * scale);
        if (mode == Mode.NEAREST) {
            UpsampleOp.nearest(x, out);
        } else {
            UpsampleOp.bilinear(x, out);
        }
        inputShape = x.shape();
        return out;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        requireForwardCache(inputShape);
        Tensor gradInput = borrow(inputShape);
        if (mode == Mode.NEAREST) {
            UpsampleOp.nearestBackward(gradOut, gradInput);
        } else {
            UpsampleOp.bilinearBackward(gradOut, gradInput);
        }
        return gradInput;
    }

    @Override
    public String extraRepr() {
        return "scale_factor=" + scale + ".0, mode=" + mode.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return true;
    }
}
