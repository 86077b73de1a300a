package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;

/**
 * A trainable tensor and its gradient, as {@code torch.nn.Parameter}. It carries no name: its name is
 * its path in the module tree ({@link Module#namedParameters()}), so one parameter object can never
 * disagree with the state-dict key it is saved under.
 *
 * <p>Backward passes ACCUMULATE into {@link #grad()}; call {@link Module#zeroGrad()} (or
 * {@link #zeroGrad()}) before each step, as in PyTorch.
 */
public final class Parameter {
    private final Tensor value;
    private final Tensor grad;
    private boolean requiresGrad = true;

    public Parameter(Tensor value) {
        this.value = value;
        this.grad = Tensor.zeros(value.shape());
    }

    /** A zero-filled parameter of the given shape. */
    public static Parameter zeros(int... shape) {
        return new Parameter(Tensor.zeros(shape));
    }

    /** The current value; optimisers update its data in place. */
    public Tensor value() {
        return value;
    }

    /** The accumulated gradient, same shape as the value. */
    public Tensor grad() {
        return grad;
    }

    public void zeroGrad() {
        grad.fill(0f);
    }

    /** False for a frozen parameter: optimisers skip it and summaries count it as non-trainable. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    public void setRequiresGrad(boolean requiresGrad) {
        this.requiresGrad = requiresGrad;
    }

    public int[] shape() {
        return value.shape();
    }

    public int size() {
        return value.size();
    }

    @Override
    public String toString() {
        return "Parameter" + value.shapeString();
    }
}
