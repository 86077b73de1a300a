package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.Activation;
import dev.depthwise.engine.op.ActivationOp;

/**
 * {@code max(0, x)}, as {@code torch.nn.ReLU}. The {@code inplace} flag is what PyTorch prints; whether the
 * layer really overwrites its input is decided by the {@link Sequential} that holds it (after a BatchNorm2d,
 * whose output nothing else reads), because that is where it is known to be safe.
 *
 * <p>Backward needs only where the input was inside the pass band, and the output tells that exactly
 * ({@code y > 0} iff {@code x > 0}; {@code 0 < y < 6} iff {@code 0 < x < 6}), so running in place loses nothing.
 */
public class ReLU extends Module {
    private final boolean inplace;
    private boolean overwriteInput;
    private boolean overwriteGradOut;
    /** The BatchNorm2d whose output this ReLU overwrites, or null. */
    private BatchNorm2d producer;
    private Tensor input;
    private Tensor out;

    public ReLU() {
        this(false);
    }

    public ReLU(boolean inplace) {
        this.inplace = inplace;
    }

    /**
     * Set by {@link Sequential}: the input tensor is private to the previous layer and this one. The BatchNorm then
     * applies this activation as it stores its output and masks the gradient as it reads it, and this layer passes
     * both through.
     */
    void overwriteInput(BatchNorm2d producer) {
        this.overwriteInput = true;
        this.producer = producer;
        producer.fuseActivation(kind());
    }

    /** This activation as the kernels' clamp. */
    Activation kind() {
        return Activation.RELU;
    }

    /**
     * Set by {@link Module#chain} when a max-pool follows: a plain ReLU in place on a BatchNorm's output lets the
     * pool's backward apply its mask (the BatchNorm's backward applies it again, from its own input), so its output
     * need not outlive the pool's forward.
     */
    void handMaskTo(MaxPool2d pool) {
        if (getClass() == ReLU.class && producer != null) {
            producer.borrowOutput();
            pool.applyReluMask();
        }
    }

    /** Set by {@link Sequential}: gradOut is the next layer's own buffer, dead once this backward ran. */
    void overwriteGradOut() {
        this.overwriteGradOut = true;
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return g.relu(x);
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        Tensor y = overwriteInput ? x : (out = reuse(out, x.shape()));
        if (!overwriteInput) {
            activate(x, y);
        }
        // Pre- or post-activation values both give the same backward mask.
        input = isTraining() ? y : null;
        return y;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        requireForwardCache(input);
        if (overwriteInput) {
            // The BatchNorm's backward masks the gradient (as does the pool's, if it applies the mask) and writes its
            // own over the buffer it is given, which must therefore be this layer's to give.
            if (overwriteGradOut) {
                return gradOut;
            }
            Tensor gradX = borrow(input.shape());
            System.arraycopy(gradOut.data(), 0, gradX.data(), 0, gradX.size());
            return gradX;
        }
        Tensor gradX = overwriteGradOut ? gradOut : borrow(input.shape());
        activateBackward(input, gradOut, gradX);
        return gradX;
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

    /** Its own buffer, or (when overwriting) a following layer's buffer that was equally dead. */
    @Override
    public boolean backwardReturnsOwnBuffer() {
        return true;
    }

    @Override
    public ReLU trailingActivation() {
        return this;
    }
}
