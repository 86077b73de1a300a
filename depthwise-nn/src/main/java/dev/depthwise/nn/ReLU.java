package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ActivationOp;

/**
 * {@code max(0, x)}, as {@code torch.nn.ReLU}. The {@code inplace} flag only mirrors PyTorch's printout:
 * the output always goes to the layer's own buffer because backward needs the input.
 */
public class ReLU extends Module {
    private final boolean inplace;
    private Tensor input;
    private Tensor out;
    private Tensor gradInput;

    public ReLU() {
        this(false);
    }

    public ReLU(boolean inplace) {
        this.inplace = inplace;
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        out = reuse(out, x.shape());
        activate(x, out);
        input = isTraining() ? x : null;
        return out;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        requireForwardCache(input);
        gradInput = reuse(gradInput, input.shape());
        activateBackward(input, gradOut, gradInput);
        return gradInput;
    }

    void activate(Tensor x, Tensor y) {
        ActivationOp.relu(x, y);
    }

    void activateBackward(Tensor x, Tensor gradOut, Tensor gradX) {
        ActivationOp.reluBackward(x, gradOut, gradX);
    }

    @Override
    public String extraRepr() {
        return inplace ? "inplace=True" : "";
    }
}
