package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.DropoutOp;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Inverted dropout, as {@code torch.nn.Dropout(p)}: in training mode zeroes each element with
 * probability p and scales the rest by 1/(1-p); the identity in evaluation mode. Its own seeded
 * generator makes a training run repeat exactly.
 */
public final class Dropout extends Module {
    private final float p;
    private RandomGenerator rng;
    private float[] mask;
    private boolean masked;
    private Tensor out;

    public Dropout(float p, long seed) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        }
        this.p = p;
        this.rng = new SplittableRandom(seed);
    }

    /** Restarts the mask sequence, e.g. when resuming a run. */
    public void reseed(long seed) {
        this.rng = new SplittableRandom(seed);
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        return x; // the identity in eval mode
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        masked = isTraining() && p > 0f;
        if (!masked) {
            return x;
        }
        if (mask == null || mask.length != x.size()) {
            mask = new float[x.size()];
        }
        out = reuse(out, x.shape());
        DropoutOp.forward(x, p, rng, mask, out);
        return out;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        if (!masked) {
            return gradOut;
        }
        Tensor gradInput = borrow(gradOut.shape());
        DropoutOp.backward(gradOut, mask, gradInput);
        return gradInput;
    }

    @Override
    public String extraRepr() {
        return "p=" + BatchNorm2d.pythonFloat(p) + ", inplace=False";
    }
}
