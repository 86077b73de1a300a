package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ActivationOp;
import dev.depthwise.engine.op.FusedConv;

/** The activation fused after a step, if any. */
enum Activation {
    NONE, RELU, RELU6;

    /** Applies the activation to {@code t} in place. */
    void applyInPlace(Tensor t) {
        switch (this) {
            case RELU -> ActivationOp.reluInPlace(t);
            case RELU6 -> ActivationOp.relu6InPlace(t);
            default -> {
            }
        }
    }

    FusedConv.Activation fused() {
        return FusedConv.Activation.valueOf(name());
    }

    String suffix() {
        return this == NONE ? "" : " + " + name().toLowerCase(java.util.Locale.ROOT);
    }
}
