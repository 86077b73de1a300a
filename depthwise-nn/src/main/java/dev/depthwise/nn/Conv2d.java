package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ConvOp;
import dev.depthwise.engine.op.ConvSpec;
import dev.depthwise.engine.op.WinogradPolicy;

import java.util.random.RandomGenerator;

/**
 * 2-D convolution, as {@code torch.nn.Conv2d} with square kernel, stride and padding: weight
 * {@code [out, in/groups, k, k]} (OIHW) and an optional bias {@code [out]}. {@code groups == in} is a
 * depthwise conv. Parameters start at zero; models initialise them ({@link Init}).
 *
 * <p>Dense 3×3 stride-1 convs run, forward and backward, as Winograd convolutions where the cost model expects
 * that faster ({@link WinogradPolicy#COST_MODEL}, the default); the rest as direct convolutions. The two differ by
 * float rounding only. {@link #setWinograd} with {@link WinogradPolicy#NEVER} runs every conv direct, to compare
 * (docs/benchmarks/winograd.md).
 */
public final class Conv2d extends Module {
    private final ConvSpec spec;
    private final Parameter weight;
    private final Parameter bias;
    private Tensor input;
    private Tensor out;
    private boolean borrowsOutput;
    /** Set by {@link #skipInputGradient}: backward accumulates the parameter gradients alone. */
    private boolean skipsInputGradient;
    private WinogradPolicy winograd = WinogradPolicy.COST_MODEL;

    public Conv2d(int in, int out, int kernel, int stride, int padding, int groups, boolean bias) {
        this.spec = ConvSpec.of(in, out, kernel, stride, padding, groups);
        this.weight = addParameter("weight", Parameter.zeros(spec.weightShape()));
        this.bias = bias ? addParameter("bias", Parameter.zeros(out)) : null;
    }

    /** A conv without bias and groups, the common case before a BatchNorm. */
    public static Conv2d noBias(int in, int out, int kernel, int stride, int padding) {
        return new Conv2d(in, out, kernel, stride, padding, 1, false);
    }

    /**
     * Sets which of {@code model}'s convs run as Winograd convolutions, forward and backward (default {@link
     * WinogradPolicy#COST_MODEL}; {@link WinogradPolicy#NEVER}: direct convolution everywhere, to compare).
     */
    public static void setWinograd(Module model, WinogradPolicy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("conv: the Winograd policy must not be null (WinogradPolicy.NEVER turns it off)");
        }
        for (Module m : model.namedModules().values()) {
            if (m instanceof Conv2d conv) {
                conv.winograd = policy;
            }
        }
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
        int[] shape = spec.outputShape(x.shape());
        return forwardInto(x, borrowsOutput ? borrow(shape) : (out = reuse(out, shape)));
    }

    /** Set by a container that gives the output back to the shared pool as soon as it has been read. */
    void borrowOutput() {
        this.borrowsOutput = true;
    }

    /** The forward pass into {@code y} (in training mode {@code x} is kept for backward). */
    Tensor forwardInto(Tensor x, Tensor y) {
        ConvOp.forward(spec, x, weight.value(), bias == null ? null : bias.value(), y, winograd);
        input = isTraining() ? x : null;
        return y;
    }

    /** The input of the last training-mode forward. */
    Tensor savedInput() {
        requireForwardCache(input);
        return input;
    }

    /**
     * Replaces the input kept for backward by an equal tensor recomputed into another buffer (the forward's own
     * buffer was given back meanwhile).
     */
    void replaceSavedInput(Tensor recomputed) {
        requireForwardCache(input);
        if (!recomputed.hasShape(input.shape())) {
            throw new IllegalArgumentException(typeName() + ": recomputed input " + recomputed.shapeString()
                    + " differs from the saved " + input.shapeString());
        }
        input = recomputed;
    }

    /** The weight (and bias) gradients alone, accumulated: the first half of {@link #backward}. */
    void accumulateParameterGradients(Tensor gradOut) {
        requireForwardCache(input);
        ConvOp.backward(spec, input, weight.value(), gradOut, null, weight.grad(), bias == null ? null : bias.grad(),
                winograd);
    }

    /**
     * The input gradient alone, into {@code gradX}: the second half of {@link #backward}. It does not read the
     * saved input's values, so {@code gradX} may be that input's buffer once the parameter gradients are done.
     */
    void inputGradient(Tensor gradOut, Tensor gradX) {
        requireForwardCache(input);
        ConvOp.backward(spec, input, weight.value(), gradOut, gradX, null, null, winograd);
    }

    @Override
    public void skipInputGradient() {
        skipsInputGradient = true;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        requireForwardCache(input);
        if (skipsInputGradient) {
            accumulateParameterGradients(gradOut);
            return null;
        }
        Tensor gradInput = borrow(input.shape());
        ConvOp.backward(spec, input, weight.value(), gradOut, gradInput, weight.grad(),
                bias == null ? null : bias.grad(), winograd);
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
