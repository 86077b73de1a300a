package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;

/**
 * The activation fused after an inference step: a clamp to {@code [lo, hi]} that the conv kernels apply as they
 * store their sums, or a pass over a tensor for the steps that have no epilogue of their own.
 */
public enum Activation {
    NONE(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY), RELU(0f, Float.POSITIVE_INFINITY), RELU6(0f, 6f);

    final float lo;
    final float hi;

    Activation(float lo, float hi) {
        this.lo = lo;
        this.hi = hi;
    }

    /** Applies the activation to {@code t} in place. */
    public void applyInPlace(Tensor t) {
        switch (this) {
            case RELU -> ActivationOp.reluInPlace(t);
            case RELU6 -> ActivationOp.relu6InPlace(t);
            case NONE -> {
            }
        }
    }

    /** How a plan's step names it after the op: {@code ""} or {@code " + relu6"}. */
    public String suffix() {
        return this == NONE ? "" : " + " + name().toLowerCase(java.util.Locale.ROOT);
    }
}
