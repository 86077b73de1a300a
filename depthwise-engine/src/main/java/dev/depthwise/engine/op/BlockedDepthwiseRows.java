package dev.depthwise.engine.op;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The rows of {@link BlockedConv}'s 3×3 depthwise conv (stride 1 or 2, channel-blocked input): 9 vector taps per
 * output pixel, every lane a channel, so plane size and stride cost nothing extra. With padding 1 each output row
 * is one call, its border pixels' outer taps dropped; otherwise a border pixel's missing taps read a zero weight
 * block, so borders take no branches either. Used by {@link BlockedConv} and, band by band, by
 * {@link BlockedSeparableConv}.
 */
final class BlockedDepthwiseRows {
    private static final VectorSpecies<Float> S = ChannelBlocks.S;
    private static final int B = ChannelBlocks.SIZE;

    private final ConvSpec s;
    private final int inH, inW, outH, outW, inHW, outBlocks;
    private final float[] x;
    /** {@code w[(block * 9 + tap) * B + lane] = weight[block * B + lane][0][tap]}, then a zero kernel row. */
    private final float[] w;
    private final float[] bias;
    private final float lo, hi;
    /** Where the sums start besides the bias, as in {@link BlockedConv}: the residual or zeros. */
    private final float[] start;
    private final int startStride;

    BlockedDepthwiseRows(ConvSpec s, int inH, int inW, float[] x, float[] weight, float[] bias, float[] start,
                         int startStride, float lo, float hi) {
        this.s = s;
        this.inH = inH;
        this.inW = inW;
        this.outH = s.outputHeight(inH);
        this.outW = s.outputWidth(inW);
        this.inHW = inH * inW;
        this.outBlocks = ChannelBlocks.blocks(s.outChannels());
        this.x = x;
        this.bias = bias;
        this.start = start;
        this.startStride = startStride;
        this.lo = lo;
        this.hi = hi;
        this.w = new float[(outBlocks * 9 + 3) * B]; // + a zero kernel row for the taps outside the input
        for (int c = 0; c < s.outChannels(); c++) {
            for (int t = 0; t < 9; t++) {
                w[((c / B) * 9 + t) * B + c % B] = weight[c * 9 + t];
            }
        }
    }

    /**
     * Rows {@code [oy0, oy1)} of output block {@code block} of image {@code img}, output pixel {@code (oy, ox)}
     * stored at {@code os[out0 + ((oy - oyBase) * outW + ox) * B]}.
     */
    void rows(int img, int block, int oy0, int oy1, float[] os, int out0, int oyBase) {
        int in0 = (img * outBlocks + block) * inHW * B;
        int base = out0 - oyBase * outW * B; // where row 0 would start
        int sh = s.strideH(), sw = s.strideW(), ph = s.padH(), pw = s.padW();
        // Output columns whose three taps are all inside the row: no checks there.
        int oxLo = Math.min(outW, (pw + sw - 1) / sw);
        int lastStart = inW - 3 + pw; // the last output column's first tap must start at or before this
        int oxHi = lastStart < 0 ? oxLo : Math.max(oxLo, Math.min(outW, lastStart / sw + 1));
        if (pw == 1 && inW >= 3) {
            // The usual padding: one left border pixel, at most one right one, done in the same call as the row.
            int right = outW - oxHi, zeroRow = outBlocks * 9 * B, wo = block * 9 * B, rowStride = inW * B;
            for (int oy = oy0; oy < oy1; oy++) {
                int iy0 = oy * sh - ph;
                // A kernel row outside the input reads a valid row with zero weights: arithmetic, not branches.
                int top = ~iy0 >>> 31, middle = ~(iy0 + 1) >>> 31 & (iy0 + 1 - inH) >>> 31;
                int bottom = (iy0 + 2 - inH) >>> 31;
                int t = in0 + Math.min(Math.max(iy0, 0), inH - 1) * rowStride;
                int m = in0 + Math.min(Math.max(iy0 + 1, 0), inH - 1) * rowStride;
                int b = in0 + Math.min(Math.max(iy0 + 2, 0), inH - 1) * rowStride;
                depthwiseRowWithBorders(t, m, b, zeroRow + top * (wo - zeroRow),
                        zeroRow + middle * (wo + 3 * B - zeroRow), zeroRow + bottom * (wo + 6 * B - zeroRow), os,
                        base + oy * outW * B, block, oxHi - 1, right, sw);
            }
            return;
        }
        for (int oy = oy0; oy < oy1; oy++) {
            int iy0 = oy * sh - ph;
            if (iy0 >= 0 && iy0 + 2 < inH) {
                depthwiseEdges(in0, os, base, block, oy, 0, oxLo);
                inner(in0 + (iy0 * inW + oxLo * sw - pw) * B, block, base + (oy * outW + oxLo) * B, oxHi - oxLo, sw,
                        os);
                depthwiseEdges(in0, os, base, block, oy, oxHi, outW);
            } else {
                depthwiseEdges(in0, os, base, block, oy, 0, outW);
            }
        }
    }

    /**
     * A whole output row of a padding-1 depthwise conv ({@link DepthwiseTiles}' row for this stride and start): the
     * left border pixel at {@code os[o]}, {@code count} inner pixels, then the right border pixel ({@code right} is 1
     * or 0). {@code t, m, b}: input column 0 of the rows under the kernel's three rows, {@code wt, wm, wb}: their
     * weights (the zero row for a row outside the input).
     */
    private void depthwiseRowWithBorders(int t, int m, int b, int wt, int wm, int wb, float[] os, int o, int block,
                                         int count, int right, int sw) {
        int bOff = block * B;
        if (startStride == 0) {
            if (sw == 1) {
                DepthwiseTiles.row1(x, t, m, b, inW, w, wt, wm, wb, bias, bOff, os, o, count, right, lo, hi);
            } else {
                DepthwiseTiles.row2(x, t, m, b, inW, w, wt, wm, wb, bias, bOff, os, o, count, right, lo, hi);
            }
        } else if (sw == 1) {
            DepthwiseTiles.row1Residual(x, t, m, b, inW, w, wt, wm, wb, bias, bOff, start, os, o, count, right, lo, hi);
        } else {
            DepthwiseTiles.row2Residual(x, t, m, b, inW, w, wt, wm, wb, bias, bOff, start, os, o, count, right, lo, hi);
        }
    }

    /**
     * {@code count} outputs of one row whose taps are all inside the input, stored from {@code os[o]}, pixel k's
     * kernel rows starting at {@code i, i + inW * B, i + 2 * inW * B} plus {@code k * sw * B}.
     */
    private void inner(int i, int block, int o, int count, int sw, float[] os) {
        if (count <= 0) {
            return;
        }
        int t = i, m = i + inW * B, b = i + 2 * inW * B, wt = block * 9 * B, wm = wt + 3 * B, wb = wt + 6 * B;
        int bOff = block * B;
        if (startStride == 0) {
            if (sw == 1) {
                DepthwiseTiles.inner1(x, t, m, b, w, wt, wm, wb, bias, bOff, os, o, count, lo, hi);
            } else {
                DepthwiseTiles.inner2(x, t, m, b, w, wt, wm, wb, bias, bOff, os, o, count, lo, hi);
            }
        } else if (sw == 1) {
            DepthwiseTiles.inner1Residual(x, t, m, b, w, wt, wm, wb, bias, bOff, start, os, o, count, lo, hi);
        } else {
            DepthwiseTiles.inner2Residual(x, t, m, b, w, wt, wm, wb, bias, bOff, start, os, o, count, lo, hi);
        }
    }

    /**
     * Outputs {@code [ox0, ox1)} of row {@code oy}, some of whose taps fall outside the input: such a tap reads the
     * zero weight block past the filters (and a valid pixel), so every pixel is the same 9 FMAs without branches.
     */
    private void depthwiseEdges(int in0, float[] os, int out0, int block, int oy, int ox0, int ox1) {
        if (ox1 <= ox0) {
            return;
        }
        int sh = s.strideH(), sw = s.strideW(), ph = s.padH(), pw = s.padW();
        int wo = block * 9 * B, zero = outBlocks * 9 * B;
        float[] xs = x, ws = w;
        FloatVector bv = FloatVector.fromArray(S, bias, block * B);
        FloatVector low = FloatVector.broadcast(S, lo), high = FloatVector.broadcast(S, hi);
        int iy0 = oy * sh - ph;
        boolean top = iy0 >= 0, middle = iy0 + 1 >= 0 && iy0 + 1 < inH, bottom = iy0 + 2 < inH;
        // A row outside the input is read at a valid row (any: its weights are zero).
        int valid = Math.min(Math.max(iy0 + 1, 0), inH - 1);
        int i0 = in0 + (top ? iy0 : valid) * inW * B;
        int i1 = in0 + (middle ? iy0 + 1 : valid) * inW * B;
        int i2 = in0 + (bottom ? iy0 + 2 : valid) * inW * B;
        for (int ox = ox0; ox < ox1; ox++) {
            int ix0 = ox * sw - pw;
            boolean left = ix0 >= 0, centre = ix0 + 1 >= 0 && ix0 + 1 < inW, right = ix0 + 2 < inW;
            int col = Math.min(Math.max(ix0 + 1, 0), inW - 1);
            int c0 = (left ? ix0 : col) * B, c1 = (centre ? ix0 + 1 : col) * B, c2 = (right ? ix0 + 2 : col) * B;
            int w0 = top && left ? wo : zero, w1 = top && centre ? wo + B : zero, w2 = top && right ? wo + 2 * B : zero;
            int w3 = middle && left ? wo + 3 * B : zero, w4 = middle && centre ? wo + 4 * B : zero;
            int w5 = middle && right ? wo + 5 * B : zero, w6 = bottom && left ? wo + 6 * B : zero;
            int w7 = bottom && centre ? wo + 7 * B : zero, w8 = bottom && right ? wo + 8 * B : zero;
            int o = out0 + (oy * outW + ox) * B;
            // The same three row chains as DepthwiseTiles, so that a border pixel sums in the same order.
            FloatVector up = FloatVector.fromArray(S, xs, i0 + c0).fma(FloatVector.fromArray(S, ws, w0),
                    bv.add(FloatVector.fromArray(S, start, startStride * o)));
            FloatVector level = FloatVector.fromArray(S, xs, i1 + c0).mul(FloatVector.fromArray(S, ws, w3));
            FloatVector down = FloatVector.fromArray(S, xs, i2 + c0).mul(FloatVector.fromArray(S, ws, w6));
            up = FloatVector.fromArray(S, xs, i0 + c1).fma(FloatVector.fromArray(S, ws, w1), up);
            level = FloatVector.fromArray(S, xs, i1 + c1).fma(FloatVector.fromArray(S, ws, w4), level);
            down = FloatVector.fromArray(S, xs, i2 + c1).fma(FloatVector.fromArray(S, ws, w7), down);
            up = FloatVector.fromArray(S, xs, i0 + c2).fma(FloatVector.fromArray(S, ws, w2), up);
            level = FloatVector.fromArray(S, xs, i1 + c2).fma(FloatVector.fromArray(S, ws, w5), level);
            down = FloatVector.fromArray(S, xs, i2 + c2).fma(FloatVector.fromArray(S, ws, w8), down);
            up.add(level).add(down).max(low).min(high).intoArray(os, o);
        }
    }
}
