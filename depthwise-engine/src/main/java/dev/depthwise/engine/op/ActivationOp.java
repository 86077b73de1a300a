package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static dev.depthwise.engine.op.OpChecks.present;
import static dev.depthwise.engine.op.OpChecks.sameShape;

/**
 * ReLU and ReLU6 (PyTorch's {@code hardtanh(0, 6)}), elementwise over tensors of any shape.
 * Forward may run in place ({@code out == x}); so may backward ({@code gradX == gradOut}).
 * The backward takes the forward INPUT: the gradient passes where {@code 0 < x} (and {@code x < 6}
 * for ReLU6), as PyTorch's threshold/hardtanh backward, so it is zero exactly at the kinks.
 * The forward OUTPUT gives the same mask (y is in (0, 6) exactly when x is), so a layer that ran
 * the forward in place may pass its output instead.
 */
public final class ActivationOp {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Elementwise work is memory bound; split only large tensors. */
    private static final int GRAIN = 1 << 15;

    private ActivationOp() {
    }

    public static void relu(Tensor x, Tensor out) {
        clamp("ActivationOp.relu", x, out, Float.POSITIVE_INFINITY);
    }

    public static void relu6(Tensor x, Tensor out) {
        clamp("ActivationOp.relu6", x, out, 6f);
    }

    /** In-place ReLU: {@code relu(x, x)}. */
    public static void reluInPlace(Tensor x) {
        relu(x, x);
    }

    /** In-place ReLU6: {@code relu6(x, x)}. */
    public static void relu6InPlace(Tensor x) {
        relu6(x, x);
    }

    public static void reluBackward(Tensor x, Tensor gradOut, Tensor gradX) {
        clampBackward("ActivationOp.reluBackward", x, gradOut, gradX, Float.POSITIVE_INFINITY);
    }

    public static void relu6Backward(Tensor x, Tensor gradOut, Tensor gradX) {
        clampBackward("ActivationOp.relu6Backward", x, gradOut, gradX, 6f);
    }

    /** out = min(max(x, 0), upper); NaN stays NaN, as in PyTorch. */
    private static void clamp(String op, Tensor x, Tensor out, float upper) {
        present(op, "x", x);
        sameShape(op, "x", x, "out", out);
        float[] xs = x.data();
        float[] os = out.data();
        boolean bounded = upper != Float.POSITIVE_INFINITY;
        Parallel.forRange(x.size(), GRAIN, (from, to) -> {
            FloatVector zero = FloatVector.zero(S);
            FloatVector top = FloatVector.broadcast(S, upper);
            int bound = from + S.loopBound(to - from);
            int i = from;
            // One loop per case on purpose: the ReLU loop then carries no min and no test of the bound.
            if (bounded) {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, xs, i).max(zero).min(top).intoArray(os, i);
                }
            } else {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, xs, i).max(zero).intoArray(os, i);
                }
            }
            for (; i < to; i++) {
                os[i] = Math.min(Math.max(xs[i], 0f), upper);
            }
        });
    }

    /** gradX = gradOut where 0 < x < upper, else 0. */
    private static void clampBackward(String op, Tensor x, Tensor gradOut, Tensor gradX, float upper) {
        present(op, "x", x);
        sameShape(op, "x", x, "gradOut", gradOut);
        sameShape(op, "x", x, "gradX", gradX);
        float[] xs = x.data();
        float[] gs = gradOut.data();
        float[] dxs = gradX.data();
        boolean bounded = upper != Float.POSITIVE_INFINITY;
        Parallel.forRange(x.size(), GRAIN, (from, to) -> {
            FloatVector zero = FloatVector.zero(S);
            FloatVector top = FloatVector.broadcast(S, upper);
            int bound = from + S.loopBound(to - from);
            int i = from;
            for (; i < bound; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, xs, i);
                VectorMask<Float> pass = v.compare(VectorOperators.GT, zero);
                if (bounded) {
                    pass = pass.and(v.compare(VectorOperators.LT, top));
                }
                zero.blend(FloatVector.fromArray(S, gs, i), pass).intoArray(dxs, i);
            }
            for (; i < to; i++) {
                float v = xs[i];
                dxs[i] = v > 0f && (!bounded || v < upper) ? gs[i] : 0f;
            }
        });
    }
}
