package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ConvOp;
import dev.depthwise.engine.op.ConvSpec;

import java.util.random.RandomGenerator;

/**
 * 2-D convolution, as {@code torch.nn.Conv2d} with square kernel, stride and padding: weight
 * {@code [out, in/groups, k, k]} (OIHW) and an optional bias {@code [out]}. {@code groups == in} is a
 * depthwise conv. Parameters start at zero; models initialise them ({@link Init}).
 */
public final class Conv2d extends Module {
    private final ConvSpec spec;
    private final Parameter weight;
    private final Parameter bias;
    private Tensor input;
    private Tensor out;
    private Tensor gradInput;

    public Conv2d(int in, int out, int kernel, int stride, int padding, int groups, boolean bias) {
        this.spec = ConvSpec.of(in, out, kernel, stride, padding, groups);
        this.weight = addParameter("weight", Parameter.zeros(spec.weightShape()));
        this.bias = bias ? addParameter("bias", Parameter.zeros(out)) : null;
    }

    /** A conv without bias and groups, the common case before a BatchNorm. */
    public static Conv2d noBias(int in, int out, int kernel, int stride, int padding) {
        return new Conv2d(in, out, kernel, stride, padding, 1, false);
    }

    public ConvSpec spec() {
        return spec;
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null. */
    public Parameter bias() {
        return bias;
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return g.conv(this, x);
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        int[] outShape = spec.outputShape(x.shape());
        out = reuse(out, outShape);
        ConvOp.forward(spec, x, weight.value(), bias == null ? null : bias.value(), out);
        input = isTraining() ? x : null;
        return out;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        requireForwardCache(input);
        gradInput = reuse(gradInput, input.shape());
        ConvOp.backward(spec, input, weight.value(), gradOut, gradInput, weight.grad(),
                bias == null ? null : bias.grad());
        return gradInput;
    }

    @Override
    public long macs(int[] inputShape, int[] outputShape) {
        long positions = (long) outputShape[0] * outputShape[2] * outputShape[3];
        return positions * weight.size();
    }

    @Override
    protected void resetOwnParameters(RandomGenerator rng) {
        Init.pytorchDefault(weight.value(), bias == null ? null : bias.value(), rng);
    }

    @Override
    public String extraRepr() {
        StringBuilder sb = new StringBuilder();
        sb.append(spec.inChannels()).append(", ").append(spec.outChannels())
                .append(", kernel_size=(").append(spec.kernelH()).append(", ").append(spec.kernelW()).append(')')
                .append(", stride=(").append(spec.strideH()).append(", ").append(spec.strideW()).append(')');
        if (spec.padH() != 0 || spec.padW() != 0) {
            sb.append(", padding=(").append(spec.padH()).append(", ").append(spec.padW()).append(')');
        }
        if (spec.dilationH() != 1 || spec.dilationW() != 1) {
            sb.append(", dilation=(").append(spec.dilationH()).append(", ").append(spec.dilationW()).append(')');
        }
        if (spec.groups() != 1) {
            sb.append(", groups=").append(spec.groups());
        }
        if (bias == null) {
            sb.append(", bias=False");
        }
        return sb.toString();
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return true;
    }
}
