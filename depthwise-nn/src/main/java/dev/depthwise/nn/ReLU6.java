package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.Activation;
import dev.depthwise.engine.op.ActivationOp;

/** {@code min(max(0, x), 6)}, as {@code torch.nn.ReLU6}; MobileNetV2's activation. */
public final class ReLU6 extends ReLU {
    public ReLU6() {
        super(false);
    }

    public ReLU6(boolean inplace) {
        super(inplace);
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return g.relu6(x);
    }

    @Override
    Activation kind() {
        return Activation.RELU6;
    }

    @Override
    void activate(Tensor x, Tensor y) {
        ActivationOp.relu6(x, y);
    }

    @Override
    void activateBackward(Tensor x, Tensor gradOut, Tensor gradX) {
        ActivationOp.relu6Backward(x, gradOut, gradX);
    }
}
