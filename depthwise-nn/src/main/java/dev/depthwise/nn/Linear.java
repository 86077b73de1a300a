package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.LinearOp;

import java.util.random.RandomGenerator;

/** {@code y = x W^T + b}, as {@code torch.nn.Linear}: weight {@code [out, in]}, bias {@code [out]}. */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;
    private Tensor input;
    private Tensor out;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true);
    }

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = addParameter("weight", Parameter.zeros(outFeatures, inFeatures));
        this.bias = bias ? addParameter("bias", Parameter.zeros(outFeatures)) : null;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return g.linear(this, x);
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        if (x.rank() != 2 || x.dim(1) != inFeatures) {
            throw new IllegalArgumentException("Linear(" + inFeatures + " -> " + outFeatures
                    + "): expected input [N, " + inFeatures + "], got " + x.shapeString());
        }
        out = reuse(out, x.dim(0), outFeatures);
        LinearOp.forward(x, weight.value(), bias == null ? null : bias.value(), out);
        input = isTraining() ? x : null;
        return out;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        requireForwardCache(input);
        Tensor gradInput = borrow(input.shape());
        LinearOp.backward(input, weight.value(), gradOut, gradInput, weight.grad(),
                bias == null ? null : bias.grad());
        return gradInput;
    }

    @Override
    public long macs(int[] inputShape, int[] outputShape) {
        return (long) inputShape[0] * inFeatures * outFeatures;
    }

    @Override
    protected void resetOwnParameters(RandomGenerator rng) {
        Init.pytorchDefault(weight.value(), bias == null ? null : bias.value(), rng);
    }

    @Override
    public String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null ? "True" : "False");
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return true;
    }
}
