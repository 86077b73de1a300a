package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;

import java.util.random.RandomGenerator;

import static dev.depthwise.engine.op.OpChecks.fail;
import static dev.depthwise.engine.op.OpChecks.length;
import static dev.depthwise.engine.op.OpChecks.present;
import static dev.depthwise.engine.op.OpChecks.required;
import static dev.depthwise.engine.op.OpChecks.sameShape;

/**
 * Training-mode dropout with inverted scaling, as {@code torch.nn.Dropout}: each element is zeroed
 * with probability {@code p} and the survivors are scaled by {@code 1/(1-p)}, so eval mode is the
 * identity (callers simply skip this op there). The mask holds 0 or {@code 1/(1-p)} per element.
 * Runs on one thread so that a seeded generator gives the same mask whatever the thread count.
 */
public final class DropoutOp {
    private DropoutOp() {
    }

    /** {@code mask} (nullable, length {@code x.size()}) receives the mask for {@link #backward}. */
    public static void forward(Tensor x, float p, RandomGenerator rng, float[] mask, Tensor out) {
        String op = "DropoutOp.forward";
        present(op, "x", x);
        sameShape(op, "x", x, "out", out);
        length(op, "mask", mask, x.size(), "one per element of x " + x.shapeString());
        if (!(p >= 0f && p <= 1f)) {
            throw fail(op, "probability p must be in [0, 1], got " + p);
        }
        if (p > 0f && p < 1f && rng == null) {
            throw fail(op, "a random generator is required for p = " + p);
        }
        float[] xs = x.data();
        float[] os = out.data();
        // p == 1 drops everything (PyTorch returns zeros rather than 0 * inf)
        float keepScale = p >= 1f ? 0f : 1f / (1f - p);
        for (int i = 0; i < xs.length; i++) {
            float m = p == 0f ? 1f : (p >= 1f || rng.nextFloat() < p ? 0f : keepScale);
            if (mask != null) {
                mask[i] = m;
            }
            os[i] = xs[i] * m;
        }
    }

    /** gradX = gradOut * mask; gradX may be gradOut. */
    public static void backward(Tensor gradOut, float[] mask, Tensor gradX) {
        String op = "DropoutOp.backward";
        present(op, "gradOut", gradOut);
        sameShape(op, "gradOut", gradOut, "gradX", gradX);
        length(op, "mask", required(op, "mask", mask), gradOut.size(), "one per element of gradOut "
                + gradOut.shapeString());
        float[] gs = gradOut.data();
        float[] dxs = gradX.data();
        for (int i = 0; i < gs.length; i++) {
            dxs[i] = gs[i] * mask[i];
        }
    }
}
