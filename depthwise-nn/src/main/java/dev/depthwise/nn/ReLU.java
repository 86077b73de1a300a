package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
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
    private boolean maskAppliedByPool;
    private Tensor input;
    private Tensor out;

    public ReLU() {
        this(false);
    }

    public ReLU(boolean inplace) {
        this.inplace = inplace;
    }

    /** Set by {@link Sequential}: the input tensor is private to the previous layer and this one. */
    void overwriteInput(BatchNorm2d producer) {
        this.overwriteInput = true;
        this.producer = producer;
    }

    /**
     * Set by {@link Module#chain} when a max-pool follows: a plain ReLU in place on a BatchNorm's output lets the
     * pool's backward apply its mask, so its output need not outlive the pool's forward.
     */
    void handMaskTo(MaxPool2d pool) {
        if (getClass() == ReLU.class && producer != null) {
            producer.borrowOutput();
            pool.applyReluMask();
            maskAppliedByPool = true;
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
        activate(x, y);
        // Pre- or post-activation values both give the same backward mask.
        input = isTraining() ? y : null;
        return y;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        requireForwardCache(input);
        if (maskAppliedByPool) {
            return gradOut;
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
