package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

import static dev.depthwise.engine.op.OpChecks.fail;
import static dev.depthwise.engine.op.OpChecks.length;
import static dev.depthwise.engine.op.OpChecks.present;
import static dev.depthwise.engine.op.OpChecks.rank;
import static dev.depthwise.engine.op.OpChecks.required;
import static dev.depthwise.engine.op.OpChecks.sameShape;

/**
 * Max pooling with argmax indices, max unpooling (SegNet's decoder), and global average pooling,
 * on NCHW tensors, with PyTorch's semantics: no padding, floor mode (a trailing odd row or column
 * is dropped), indices are the flat offset {@code h * W + w} inside the input plane as
 * {@code return_indices=True} gives, the first maximum in row-major window order wins a tie, and a
 * NaN counts as the maximum. Work is split over the N*C planes, which never share an output.
 */
public final class PoolOp {
    private static final int GRAIN_ELEMENTS = 1 << 14;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Lane k takes lane 2k of the pair (first, second) of vectors; ODD takes 2k + 1. */
    // Even/odd lanes of two vectors, gathered as two one-vector rearranges and a blend (docs/jvm-notes.md).
    private static final int HALF = F.length() / 2;
    private static final VectorShuffle<Float> EVEN_LOW = VectorShuffle.fromOp(F, k -> k < HALF ? 2 * k : 0);
    private static final VectorShuffle<Float> EVEN_HIGH = VectorShuffle.fromOp(F, k -> k < HALF ? 0 : 2 * k - 2 * HALF);
    private static final VectorShuffle<Float> ODD_LOW = VectorShuffle.fromOp(F, k -> k < HALF ? 2 * k + 1 : 0);
    private static final VectorShuffle<Float> ODD_HIGH = VectorShuffle.fromOp(F,
            k -> k < HALF ? 0 : 2 * k + 1 - 2 * HALF);
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(F, -1L << HALF);
    private static final IntVector EVEN_OFFSETS = IntVector.zero(I).addIndex(2);

    private PoolOp() {
    }

    /** [N, C, (H-k)/s+1, (W-k)/s+1]; throws when the shape is not NCHW or the kernel does not fit. */
    public static int[] maxPoolOutputShape(int[] inShape, int kernel, int stride) {
        String op = "PoolOp.maxPool";
        if (inShape == null || inShape.length != 4) {
            throw fail(op, "input must be NCHW (rank 4), got shape " + Arrays.toString(inShape));
        }
        if (kernel < 1 || stride < 1) {
            throw fail(op, "kernel and stride must be positive, got kernel " + kernel + ", stride " + stride);
        }
        if (inShape[2] < kernel || inShape[3] < kernel) {
            throw fail(op, "kernel " + kernel + "x" + kernel + " is larger than the input plane of shape "
                    + Arrays.toString(inShape));
        }
        return new int[] {inShape[0], inShape[1], (inShape[2] - kernel) / stride + 1, (inShape[3] - kernel) / stride + 1};
    }

    /** Max pooling; {@code indices} (nullable, length {@code out.size()}) receives each argmax. */
    public static void maxPool(Tensor x, int kernel, int stride, Tensor out, int[] indices) {
        String op = "PoolOp.maxPool";
        present(op, "x", x);
        int[] expected = maxPoolOutputShape(x.shape(), kernel, stride);
        present(op, "out", out);
        if (!out.hasShape(expected)) {
            throw fail(op, "out has shape " + out.shapeString() + " but kernel " + kernel + ", stride " + stride
                    + " on x " + x.shapeString() + " gives " + Arrays.toString(expected));
        }
        length(op, "indices", indices, out.size(), "one per element of out " + out.shapeString());
        int inH = x.h();
        int inW = x.w();
        int outH = expected[2];
        int outW = expected[3];
        float[] xs = x.data();
        float[] os = out.data();
        Parallel.forRange(x.n() * x.c(), grain(inH * inW),
                (from, to) -> maxPoolPlanes(xs, inH, inW, kernel, stride, os, outH, outW, indices, from, to));
    }

    /** Planes {@code [from, to)} of {@link #maxPool} on the calling thread. */
    static void maxPoolPlanes(float[] xs, int inH, int inW, int kernel, int stride, float[] os, int outH, int outW,
                              int[] indices, int from, int to) {
        for (int p = from; p < to; p++) {
            int inBase = p * inH * inW;
            int outBase = p * outH * outW;
            if (kernel == 2 && stride == 2) {
                maxPool2x2(xs, inBase, inW, os, outBase, outH, outW, indices);
                continue;
            }
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    int h0 = oh * stride;
                    int w0 = ow * stride;
                    float best = Float.NEGATIVE_INFINITY;
                    int bestIndex = h0 * inW + w0;
                    for (int kh = 0; kh < kernel; kh++) {
                        int row = (h0 + kh) * inW + w0;
                        for (int kw = 0; kw < kernel; kw++) {
                            float v = xs[inBase + row + kw];
                            if (v > best || Float.isNaN(v)) {
                                best = v;
                                bestIndex = row + kw;
                            }
                        }
                    }
                    int o = outBase + oh * outW + ow;
                    os[o] = best;
                    if (indices != null) {
                        indices[o] = bestIndex;
                    }
                }
            }
        }
    }

    /**
     * SegNet's 2x2 stride-2 pooling of one plane, with the same tie and NaN rules as the general loop.
     * The vector loop splits 2L input columns into even and odd lanes and picks winners with masks:
     * on unsorted activations every compare is a coin flip, and the branchy scalar loop spent most of
     * its time in mispredictions (17 ms vs 2 ms for 16x64x64x64 on this machine's test run).
     */
    private static void maxPool2x2(float[] xs, int inBase, int inW, float[] os, int outBase, int outH, int outW,
                                   int[] indices) {
        int lanes = F.length();
        for (int oh = 0; oh < outH; oh++) {
            int top = 2 * oh * inW;
            int o = outBase + oh * outW;
            int ow = 0;
            for (; ow + lanes <= outW; ow += lanes) {
                int i = top + 2 * ow;
                FloatVector t0 = FloatVector.fromArray(F, xs, inBase + i);
                FloatVector t1 = FloatVector.fromArray(F, xs, inBase + i + lanes);
                FloatVector b0 = FloatVector.fromArray(F, xs, inBase + i + inW);
                FloatVector b1 = FloatVector.fromArray(F, xs, inBase + i + inW + lanes);
                FloatVector a = t0.rearrange(EVEN_LOW).blend(t1.rearrange(EVEN_HIGH), HIGH_HALF);
                FloatVector b = t0.rearrange(ODD_LOW).blend(t1.rearrange(ODD_HIGH), HIGH_HALF);
                FloatVector c = b0.rearrange(EVEN_LOW).blend(b1.rearrange(EVEN_HIGH), HIGH_HALF);
                FloatVector d = b0.rearrange(ODD_LOW).blend(b1.rearrange(ODD_HIGH), HIGH_HALF);
                // the best of each row, then of the two rows: '>' keeps the first on ties, and a NaN wins as
                // in the sequential scan (a later NaN beats an earlier one, and bottom comes after top)
                VectorMask<Float> bWins = b.compare(VectorOperators.GT, a).or(b.compare(VectorOperators.NE, b));
                VectorMask<Float> dWins = d.compare(VectorOperators.GT, c).or(d.compare(VectorOperators.NE, d));
                FloatVector ab = a.blend(b, bWins);
                FloatVector cd = c.blend(d, dWins);
                VectorMask<Float> bottomWins = cd.compare(VectorOperators.GT, ab).or(cd.compare(VectorOperators.NE, cd));
                ab.blend(cd, bottomWins).intoArray(os, o + ow);
                if (indices != null) {
                    IntVector first = EVEN_OFFSETS.add(i);
                    IntVector abIndex = first.blend(first.add(1), bWins.cast(I));
                    IntVector cdIndex = first.add(inW).blend(first.add(inW + 1), dWins.cast(I));
                    abIndex.blend(cdIndex, bottomWins.cast(I)).intoArray(indices, o + ow);
                }
            }
            for (; ow < outW; ow++) {
                int i = top + 2 * ow;
                int bestIndex = i;
                float best = xs[inBase + i];
                for (int k = 1; k < 4; k++) {
                    int j = i + (k >> 1) * inW + (k & 1);
                    float v = xs[inBase + j];
                    if (v > best || v != v) {
                        best = v;
                        bestIndex = j;
                    }
                }
                os[o + ow] = best;
                if (indices != null) {
                    indices[o + ow] = bestIndex;
                }
            }
        }
    }

    /** Backward of {@link #maxPool}: gradX is zeroed, then each gradOut is added at its argmax. */
    public static void maxPoolBackward(Tensor gradOut, int[] indices, Tensor gradX) {
        maxPoolBackward(gradOut, indices, null, gradX);
    }

    /**
     * Backward of a ReLU followed by {@link #maxPool}, both at once, given the pool's output {@code pooled}: a
     * gradOut is added at its argmax only where the pooled value is positive. The ReLU passes a gradient where its
     * output was positive, and the only places the pool sends one are its argmaxes, whose values are the pooled
     * ones; so the result is bit for bit the two backwards in turn, without keeping the ReLU's output.
     */
    public static void maxPoolAfterReluBackward(Tensor gradOut, int[] indices, Tensor pooled, Tensor gradX) {
        sameShape("PoolOp.maxPoolAfterReluBackward", "gradOut", gradOut, "pooled", pooled);
        maxPoolBackward(gradOut, indices, pooled, gradX);
    }

    private static void maxPoolBackward(Tensor gradOut, int[] indices, Tensor pooled, Tensor gradX) {
        String op = pooled == null ? "PoolOp.maxPoolBackward" : "PoolOp.maxPoolAfterReluBackward";
        checkPair(op, "gradOut", gradOut, "gradX", gradX, indices);
        float[] ps = pooled == null ? null : pooled.data();
        int inPlane = gradX.h() * gradX.w();
        int outPlane = gradOut.h() * gradOut.w();
        float[] gs = gradOut.data();
        float[] dxs = gradX.data();
        Parallel.forRange(gradOut.n() * gradOut.c(), grain(inPlane), (from, to) -> {
            Arrays.fill(dxs, from * inPlane, to * inPlane, 0f);
            for (int p = from; p < to; p++) {
                int inBase = p * inPlane;
                for (int i = p * outPlane, end = i + outPlane; i < end; i++) {
                    int at = inBase + checkedIndex(op, indices, i, inPlane, gradX);
                    dxs[at] += ps == null || ps[i] > 0f ? gs[i] : 0f;
                }
            }
        });
    }

    /** Max unpooling: out (the pre-pool size) is zeroed, then each x is put at its index. */
    public static void maxUnpool(Tensor x, int[] indices, Tensor out) {
        String op = "PoolOp.maxUnpool";
        checkPair(op, "x", x, "out", out, indices);
        int inPlane = x.h() * x.w();
        int outPlane = out.h() * out.w();
        float[] xs = x.data();
        Parallel.forRange(x.n() * x.c(), grain(outPlane),
                (from, to) -> maxUnpoolPlanes(xs, inPlane, indices, out, outPlane, from, to));
    }

    /** Planes {@code [from, to)} of {@link #maxUnpool} on the calling thread. */
    static void maxUnpoolPlanes(float[] xs, int inPlane, int[] indices, Tensor out, int outPlane, int from, int to) {
        float[] os = out.data();
        Arrays.fill(os, from * outPlane, to * outPlane, 0f);
        for (int p = from; p < to; p++) {
            int outBase = p * outPlane;
            for (int i = p * inPlane, end = i + inPlane; i < end; i++) {
                os[outBase + checkedIndex("PoolOp.maxUnpool", indices, i, outPlane, out)] = xs[i];
            }
        }
    }

    /** Backward of {@link #maxUnpool}: gradX (the pooled size) gathers gradOut at the indices. */
    public static void maxUnpoolBackward(Tensor gradOut, int[] indices, Tensor gradX) {
        String op = "PoolOp.maxUnpoolBackward";
        checkPair(op, "gradX", gradX, "gradOut", gradOut, indices);
        int inPlane = gradX.h() * gradX.w();
        int outPlane = gradOut.h() * gradOut.w();
        float[] gs = gradOut.data();
        float[] dxs = gradX.data();
        Parallel.forRange(gradX.n() * gradX.c(), grain(outPlane), (from, to) -> {
            for (int p = from; p < to; p++) {
                int outBase = p * outPlane;
                for (int i = p * inPlane, end = i + inPlane; i < end; i++) {
                    dxs[i] = gs[outBase + checkedIndex(op, indices, i, outPlane, gradOut)];
                }
            }
        });
    }

    /** Mean over each H*W plane; out is [N, C, 1, 1] or [N, C]. */
    public static void globalAvgPool(Tensor x, Tensor out) {
        String op = "PoolOp.globalAvgPool";
        rank(op, "x", x, 4);
        checkPooledShape(op, "out", out, x);
        int plane = x.h() * x.w();
        float[] xs = x.data();
        float[] os = out.data();
        Parallel.forRange(x.n() * x.c(), grain(plane), (from, to) -> globalAvgPoolPlanes(xs, plane, os, from, to));
    }

    /** Planes {@code [from, to)} of {@link #globalAvgPool} on the calling thread. */
    static void globalAvgPoolPlanes(float[] xs, int plane, float[] os, int from, int to) {
        for (int p = from; p < to; p++) {
            double sum = 0;
            for (int i = p * plane, end = i + plane; i < end; i++) {
                sum += xs[i];
            }
            os[p] = (float) (sum / plane);
        }
    }

    /** Backward of {@link #globalAvgPool}: every element of a plane gets gradOut / (H*W). */
    public static void globalAvgPoolBackward(Tensor gradOut, Tensor gradX) {
        String op = "PoolOp.globalAvgPoolBackward";
        rank(op, "gradX", gradX, 4);
        checkPooledShape(op, "gradOut", gradOut, gradX);
        int plane = gradX.h() * gradX.w();
        float[] gs = gradOut.data();
        float[] dxs = gradX.data();
        Parallel.forRange(gradX.n() * gradX.c(), grain(plane), (from, to) -> {
            for (int p = from; p < to; p++) {
                Arrays.fill(dxs, p * plane, (p + 1) * plane, gs[p] / plane);
            }
        });
    }

    private static void checkPooledShape(String op, String name, Tensor pooled, Tensor x) {
        present(op, name, pooled);
        boolean ok = pooled.hasShape(x.n(), x.c(), 1, 1) || pooled.hasShape(x.n(), x.c());
        if (!ok) {
            throw fail(op, name + " has shape " + pooled.shapeString() + " but must be [" + x.n() + ", " + x.c()
                    + ", 1, 1] or [" + x.n() + ", " + x.c() + "] for input " + x.shapeString());
        }
    }

    /** Checks a pooled/unpooled pair of NCHW tensors and the indices that link them. */
    private static void checkPair(String op, String pooledName, Tensor pooled, String fullName, Tensor full,
                                  int[] indices) {
        rank(op, pooledName, pooled, 4);
        rank(op, fullName, full, 4);
        if (pooled.n() != full.n() || pooled.c() != full.c()) {
            throw fail(op, pooledName + " " + pooled.shapeString() + " and " + fullName + " " + full.shapeString()
                    + " must have the same batch size and channels");
        }
        required(op, "indices", indices);
        length(op, "indices", indices, pooled.size(), "one per element of " + pooledName + " " + pooled.shapeString());
    }

    private static int checkedIndex(String op, int[] indices, int i, int plane, Tensor target) {
        int index = indices[i];
        if (index < 0 || index >= plane) {
            throw fail(op, "index " + index + " at position " + i + " is outside the " + target.h() + "x"
                    + target.w() + " plane of " + target.shapeString());
        }
        return index;
    }

    static int grain(int elementsPerPlane) {
        return Math.max(1, GRAIN_ELEMENTS / Math.max(1, elementsPerPlane));
    }
}
