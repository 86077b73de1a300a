package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

import static dev.depthwise.engine.op.OpChecks.fail;
import static dev.depthwise.engine.op.OpChecks.rank;

/**
 * Nearest and bilinear resizing of NCHW tensors to the size of {@code out}, exactly as PyTorch's
 * {@code F.interpolate(x, size=(H, W), mode=...)} with {@code align_corners=False}: the scale is the
 * float {@code in/out}, nearest takes {@code min(floor(dst * scale), in - 1)}, bilinear samples at
 * {@code max(scale * (dst + 0.5) - 0.5, 0)}. Source positions and weights depend only on the sizes,
 * so they are computed once per call and shared by all planes; work is split over the N*C planes.
 */
public final class UpsampleOp {
    private static final int GRAIN_ELEMENTS = 1 << 14;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Per-thread buffers of the separable bilinear passes, grown once and reused. */
    private static final ThreadLocal<float[][]> ROW_BUFFERS = ThreadLocal.withInitial(() -> new float[1][0]);
    private static final ThreadLocal<float[][]> SPREAD_BUFFERS = ThreadLocal.withInitial(() -> new float[1][0]);

    private UpsampleOp() {
    }

    public static void nearest(Tensor x, Tensor out) {
        String op = "UpsampleOp.nearest";
        checkPair(op, "x", x, "out", out);
        int inH = x.h();
        int inW = x.w();
        int outH = out.h();
        int outW = out.w();
        int[] srcH = nearestIndices(inH, outH);
        int[] srcW = nearestIndices(inW, outW);
        float[] xs = x.data();
        float[] os = out.data();
        Parallel.forRange(x.n() * x.c(), grain(outH * outW),
                (from, to) -> nearestPlanes(xs, inH, inW, srcH, srcW, os, outH, outW, from, to));
    }

    /** Planes {@code [from, to)} of {@link #nearest} on the calling thread. */
    static void nearestPlanes(float[] xs, int inH, int inW, int[] srcH, int[] srcW, float[] os, int outH, int outW,
                              int from, int to) {
        for (int p = from; p < to; p++) {
            int inBase = p * inH * inW;
            int o = p * outH * outW;
            for (int oh = 0; oh < outH; oh++) {
                int row = inBase + srcH[oh] * inW;
                for (int ow = 0; ow < outW; ow++) {
                    os[o++] = xs[row + srcW[ow]];
                }
            }
        }
    }

    /** gradX is zeroed, then every gradOut element is added to the source it copied. */
    public static void nearestBackward(Tensor gradOut, Tensor gradX) {
        String op = "UpsampleOp.nearestBackward";
        checkPair(op, "gradX", gradX, "gradOut", gradOut);
        int inH = gradX.h();
        int inW = gradX.w();
        int outH = gradOut.h();
        int outW = gradOut.w();
        int[] srcH = nearestIndices(inH, outH);
        int[] srcW = nearestIndices(inW, outW);
        float[] gs = gradOut.data();
        float[] dxs = gradX.data();
        Parallel.forRange(gradX.n() * gradX.c(), grain(outH * outW), (from, to) -> {
            Arrays.fill(dxs, from * inH * inW, to * inH * inW, 0f);
            for (int p = from; p < to; p++) {
                int inBase = p * inH * inW;
                int o = p * outH * outW;
                for (int oh = 0; oh < outH; oh++) {
                    int row = inBase + srcH[oh] * inW;
                    for (int ow = 0; ow < outW; ow++) {
                        dxs[row + srcW[ow]] += gs[o++];
                    }
                }
            }
        });
    }

    /**
     * Separable: each source row is first interpolated along W into a row buffer (cached while
     * consecutive output rows share it), then two such rows are blended along H with vectors. This is
     * exactly PyTorch's arithmetic {@code h0*(w0*x00 + w1*x01) + h1*(w0*x10 + w1*x11)}, computed once
     * per source row instead of once per output pixel.
     */
    public static void bilinear(Tensor x, Tensor out) {
        String op = "UpsampleOp.bilinear";
        checkPair(op, "x", x, "out", out);
        int inH = x.h();
        int inW = x.w();
        int outH = out.h();
        int outW = out.w();
        Linear rows = new Linear(inH, outH);
        Linear cols = new Linear(inW, outW);
        float[] xs = x.data();
        float[] os = out.data();
        Parallel.forRange(x.n() * x.c(), grain(outH * outW),
                (from, to) -> bilinearPlanes(xs, inH, inW, rows, cols, os, outH, outW, from, to));
    }

    /** Planes {@code [from, to)} of {@link #bilinear} on the calling thread, with the tables for these sizes. */
    static void bilinearPlanes(float[] xs, int inH, int inW, Linear rows, Linear cols, float[] os, int outH, int outW,
                               int from, int to) {
        // two row buffers side by side; upper and lower swap by offset
        float[] buffer = ConvOp.scratch(ROW_BUFFERS, 2 * outW);
        for (int p = from; p < to; p++) {
            int inBase = p * inH * inW;
            int outBase = p * outH * outW;
            int upper = 0;
            int lower = outW;
            int upperRow = -1;
            int lowerRow = -1;
            for (int oh = 0; oh < outH; oh++) {
                int r0 = rows.index0[oh];
                int r1 = rows.index1[oh];
                if (r0 == lowerRow && r0 != upperRow) {
                    int t = upper;
                    upper = lower;
                    lower = t;
                    upperRow = lowerRow;
                    lowerRow = -1;
                }
                if (r0 != upperRow) {
                    interpolateRow(xs, inBase + r0 * inW, cols, buffer, upper, outW);
                    upperRow = r0;
                }
                if (r1 != lowerRow) {
                    interpolateRow(xs, inBase + r1 * inW, cols, buffer, lower, outW);
                    lowerRow = r1;
                }
                blendRows(buffer, upper, rows.lambda0[oh], lower, rows.lambda1[oh], os, outBase + oh * outW, outW);
            }
        }
    }

    /**
     * gradX is zeroed, then every gradOut element is spread over its four sources with their weights:
     * the transpose of {@link #bilinear}, also separable. Output rows are first spread over the source
     * rows they came from (vectorised, into a per-thread [inH, outW] buffer), then each of those rows along W.
     */
    public static void bilinearBackward(Tensor gradOut, Tensor gradX) {
        String op = "UpsampleOp.bilinearBackward";
        checkPair(op, "gradX", gradX, "gradOut", gradOut);
        int inH = gradX.h();
        int inW = gradX.w();
        int outH = gradOut.h();
        int outW = gradOut.w();
        Linear rows = new Linear(inH, outH);
        Linear cols = new Linear(inW, outW);
        float[] gs = gradOut.data();
        float[] dxs = gradX.data();
        Parallel.forRange(gradX.n() * gradX.c(), grain(outH * outW), (from, to) -> {
            float[] spread = ConvOp.scratch(SPREAD_BUFFERS, inH * outW);
            for (int p = from; p < to; p++) {
                Arrays.fill(spread, 0, inH * outW, 0f);
                int outBase = p * outH * outW;
                for (int oh = 0; oh < outH; oh++) {
                    int g = outBase + oh * outW;
                    addScaled(gs, g, rows.lambda0[oh], spread, rows.index0[oh] * outW, outW);
                    addScaled(gs, g, rows.lambda1[oh], spread, rows.index1[oh] * outW, outW);
                }
                int inBase = p * inH * inW;
                Arrays.fill(dxs, inBase, inBase + inH * inW, 0f);
                for (int ih = 0; ih < inH; ih++) {
                    int row = inBase + ih * inW;
                    int s = ih * outW;
                    for (int ow = 0; ow < outW; ow++) {
                        float v = spread[s + ow];
                        dxs[row + cols.index0[ow]] += cols.lambda0[ow] * v;
                        dxs[row + cols.index1[ow]] += cols.lambda1[ow] * v;
                    }
                }
            }
        });
    }

    private static void interpolateRow(float[] xs, int row, Linear cols, float[] dst, int dstOff, int len) {
        for (int ow = 0; ow < len; ow++) {
            dst[dstOff + ow] = cols.lambda0[ow] * xs[row + cols.index0[ow]]
                    + cols.lambda1[ow] * xs[row + cols.index1[ow]];
        }
    }

    /** out[off..off+len) = a*rows[upper..] + b*rows[lower..], in the order PyTorch rounds it. */
    private static void blendRows(float[] rows, int upper, float a, int lower, float b, float[] out, int off, int len) {
        FloatVector va = FloatVector.broadcast(S, a);
        FloatVector vb = FloatVector.broadcast(S, b);
        int bound = S.loopBound(len);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector lo = FloatVector.fromArray(S, rows, lower + i).mul(vb);
            FloatVector.fromArray(S, rows, upper + i).mul(va).add(lo).intoArray(out, off + i);
        }
        for (; i < len; i++) {
            out[off + i] = a * rows[upper + i] + b * rows[lower + i];
        }
    }

    /** dst[dstOff..+len) += scale * src[srcOff..+len). */
    private static void addScaled(float[] src, int srcOff, float scale, float[] dst, int dstOff, int len) {
        if (scale == 0f) {
            return;
        }
        FloatVector vs = FloatVector.broadcast(S, scale);
        int bound = S.loopBound(len);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, src, srcOff + i).mul(vs).add(FloatVector.fromArray(S, dst, dstOff + i))
                    .intoArray(dst, dstOff + i);
        }
        for (; i < len; i++) {
            dst[dstOff + i] += scale * src[srcOff + i];
        }
    }

    /** PyTorch's nearest source index: halving is a shift, otherwise min(floor(dst * (float) in/out), in-1). */
    static int[] nearestIndices(int in, int out) {
        int[] src = new int[out];
        float scale = (float) in / out;
        for (int d = 0; d < out; d++) {
            if (out == in) {
                src[d] = d;
            } else if (out == 2 * in) {
                src[d] = d >> 1;
            } else {
                src[d] = Math.min((int) Math.floor(d * scale), in - 1);
            }
        }
        return src;
    }

    /** Source pair and weights along one axis for align_corners=False, as PyTorch's upsample kernels. */
    static final class Linear {
        final int[] index0;
        final int[] index1;
        final float[] lambda0;
        final float[] lambda1;

        Linear(int in, int out) {
            index0 = new int[out];
            index1 = new int[out];
            lambda0 = new float[out];
            lambda1 = new float[out];
            float scale = (float) in / out;
            for (int d = 0; d < out; d++) {
                if (in == out) {
                    index0[d] = d;
                    index1[d] = d;
                    lambda0[d] = 1f;
                    continue;
                }
                float src = Math.max(scale * (d + 0.5f) - 0.5f, 0f);
                int i0 = Math.min((int) src, in - 1);
                float l1 = Math.min(Math.max(src - i0, 0f), 1f);
                index0[d] = i0;
                index1[d] = i0 + (i0 < in - 1 ? 1 : 0);
                lambda1[d] = l1;
                lambda0[d] = 1f - l1;
            }
        }
    }

    static void checkPair(String op, String smallName, Tensor small, String bigName, Tensor big) {
        rank(op, smallName, small, 4);
        rank(op, bigName, big, 4);
        if (small.n() != big.n() || small.c() != big.c()) {
            throw fail(op, smallName + " " + small.shapeString() + " and " + bigName + " " + big.shapeString()
                    + " must have the same batch size and channels");
        }
        if (small.h() == 0 || small.w() == 0 || big.h() == 0 || big.w() == 0) {
            throw fail(op, "empty planes cannot be resized: " + smallName + " " + small.shapeString() + ", " + bigName
                    + " " + big.shapeString());
        }
    }

    static int grain(int elementsPerPlane) {
        return Math.max(1, GRAIN_ELEMENTS / Math.max(1, elementsPerPlane));
    }
}
