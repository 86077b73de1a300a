package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.Activation;
import dev.depthwise.engine.op.BatchNormOp;

/**
 * Batch normalisation over NCHW channels, as {@code torch.nn.BatchNorm2d} (affine, tracking running
 * statistics): parameters {@code weight} (gamma, starts at 1) and {@code bias} (beta, 0); buffers
 * {@code running_mean}, {@code running_var} and {@code num_batches_tracked}. Training mode normalises
 * with the batch statistics and updates the running ones; evaluation mode uses the running ones.
 */
public final class BatchNorm2d extends Module {
    public static final float DEFAULT_EPS = 1e-5f;
    public static final float DEFAULT_MOMENTUM = 0.1f;

    private final int channels;
    private final float eps;
    private final float momentum;
    private final Parameter weight;
    private final Parameter bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;
    private final float[] saveMean;
    private final float[] saveInvStd;
    private boolean overwriteGradOut;
    private boolean borrowsOutput;
    /** The ReLU or ReLU6 after this layer, applied by this layer's kernels (see {@link ReLU#overwriteInput}). */
    private Activation activation = Activation.NONE;
    private Tensor input;
    private Tensor out;

    public BatchNorm2d(int channels) {
        this(channels, DEFAULT_EPS, DEFAULT_MOMENTUM);
    }

    public BatchNorm2d(int channels, float eps, float momentum) {
        if (channels < 1) {
            throw new IllegalArgumentException("BatchNorm2d: channels must be positive, got " + channels);
        }
        this.channels = channels;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = addParameter("weight", new Parameter(Tensor.full(1f, channels)));
        this.bias = addParameter("bias", Parameter.zeros(channels));
        this.runningMean = addBuffer("running_mean", Tensor.zeros(channels));
        this.runningVar = addBuffer("running_var", Tensor.full(1f, channels));
        // PyTorch keeps an int64 scalar; a float holds every count up to 2^24 batches exactly.
        this.numBatchesTracked = addBuffer("num_batches_tracked", Tensor.zeros());
        this.saveMean = new float[channels];
        this.saveInvStd = new float[channels];
    }

    public int channels() {
        return channels;
    }

    public float eps() {
        return eps;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    public Tensor runningMean() {
        return runningMean;
    }

    public Tensor runningVar() {
        return runningVar;
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return g.batchNorm(this, x);
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        requireRank(x, 4);
        if (x.c() != channels) {
            throw new IllegalArgumentException("BatchNorm2d(" + channels + "): input " + x.shapeString()
                    + " has " + x.c() + " channels");
        }
        out = borrowsOutput ? borrow(x.shape()) : reuse(out, x.shape());
        if (isTraining()) {
            BatchNormOp.forwardTrain(x, weight.value().data(), bias.value().data(), runningMean.data(),
                    runningVar.data(), momentum, eps, out, saveMean, saveInvStd, activation);
            numBatchesTracked.data()[0] += 1;
            input = x;
        } else {
            BatchNormOp.forwardEval(x, weight.value().data(), bias.value().data(), runningMean.data(),
                    runningVar.data(), eps, out, activation);
            input = null;
        }
        return out;
    }

    /** Set through {@link Module#chain}: a container gives the output back as soon as the layer after has read it. */
    void borrowOutput() {
        this.borrowsOutput = true;
    }

    /** Set by {@link Sequential} when an activation follows: its gradient buffer is dead after this backward. */
    void overwriteGradOut() {
        this.overwriteGradOut = true;
    }

    /**
     * Set by the ReLU that follows in a {@link Sequential}: this layer's output and backward include it, one pass over
     * the activations fewer each way (that ReLU then passes values and gradients through).
     */
    void fuseActivation(Activation activation) {
        this.activation = activation;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        requireForwardCache(input);
        Tensor gradX = overwriteGradOut ? gradOut : borrow(input.shape());
        BatchNormOp.backward(input, gradOut, weight.value().data(), bias.value().data(), saveMean, saveInvStd,
                activation, gradX, weight.grad().data(), bias.grad().data());
        return gradX;
    }

    @Override
    public String extraRepr() {
        return channels + ", eps=" + pythonFloat(eps) + ", momentum=" + pythonFloat(momentum)
                + ", affine=True, track_running_stats=True";
    }

    /** A float as Python's repr prints it ({@code 1e-05}, {@code 0.1}, {@code 0.001}). */
    static String pythonFloat(float f) {
        String s = Double.toString(Double.parseDouble(Float.toString(f)));
        if (s.contains("E")) {
            // Java "1.0E-5" -> Python "1e-05"
            String[] parts = s.split("E");
            String mantissa = parts[0].endsWith(".0") ? parts[0].substring(0, parts[0].length() - 2) : parts[0];
            int exp = Integer.parseInt(parts[1]);
            if (exp >= -4 && exp < 16) {
                String plain = new java.math.BigDecimal(s).stripTrailingZeros().toPlainString();
                return plain.contains(".") ? plain : plain + ".0";
            }
            return mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
        }
        return s;
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return true;
    }
}
