package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The direct kernel for 3×3 depthwise convs (one filter per channel, stride 1 or 2, any padding), where
 * MobileNetV2 and SegNet-DSC spend much of their time. A GEMM cannot help here: each output reads 9 inputs
 * with 9 weights, so the work is memory-bound and the kernel must stream planes once, vectorised along W.
 *
 * <p>Borders are made branch-free by copying each input plane into a zero-padded per-thread buffer (with a
 * vector of slack at the end of each row), so the inner loop is 9 shifted vector loads and 9 FMAs. Stride 2
 * along W computes the stride-1 row and keeps every other value: cheaper than de-interleaving the input with
 * scalar code. The input gradient is computed as a gather too (the gradient zero-stuffed for the stride,
 * convolved with the flipped filter), so no two lanes ever write the same element.
 */
final class DepthwiseConv3x3 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Per thread: [0] the padded input plane, [1] the zero-stuffed gradient plane, [2] one output row. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(
            () -> new float[][] {new float[0], new float[0], new float[0]});

    private DepthwiseConv3x3() {
    }

    static boolean supports(ConvSpec s) {
        return s.isDepthwise() && s.kernelH() == 3 && s.kernelW() == 3 && s.dilationH() == 1
                && s.dilationW() == 1 && s.strideH() <= 2 && s.strideW() <= 2;
    }

    private static float[] buffer(int which, int size) {
        float[][] b = BUFFERS.get();
        if (b[which].length < size) {
            b[which] = new float[size];
        }
        return b[which];
    }

    private static int roundUp(int v) {
        return (v + L - 1) / L * L;
    }

    /** Row stride of the padded input: the padded width plus one vector of slack for the last full-vector loads. */
    private static int paddedRowStride(ConvSpec s, ConvOp.Geometry geo) {
        return geo.inW + 2 * s.padW() + L;
    }

    static void forward(ConvSpec s, ConvOp.Geometry geo, float[] x, float[] w, float[] bias, float[] out) {
        int channels = s.inChannels();
        int planes = geo.n * channels;
        int grain = Math.max(1, 16384 / Math.max(1, geo.outHW));
        Parallel.forRange(planes, grain, (from, to) -> {
            int rs = paddedRowStride(s, geo);
            float[] padded = buffer(0, (geo.inH + 2 * s.padH()) * rs);
            float[] row = buffer(2, roundUp((geo.outW - 1) * s.strideW() + 1));
            for (int p = from; p < to; p++) {
                int c = p % channels;
                pad(s, geo, x, p * geo.inHW, padded, rs);
                forwardPlane(s, geo, padded, rs, w, c * 9, bias == null ? 0f : bias[c], out, p * geo.outHW, row);
            }
        });
    }

    /** Copies one input plane into {@code padded} with zero borders and zero slack. */
    private static void pad(ConvSpec s, ConvOp.Geometry geo, float[] x, int xOff, float[] padded, int rs) {
        int ph = s.padH(), pw = s.padW();
        int rows = geo.inH + 2 * ph;
        for (int r = 0; r < rows; r++) {
            int base = r * rs;
            int iy = r - ph;
            if (iy < 0 || iy >= geo.inH) {
                java.util.Arrays.fill(padded, base, base + rs, 0f);
            } else {
                java.util.Arrays.fill(padded, base, base + pw, 0f);
                System.arraycopy(x, xOff + iy * geo.inW, padded, base + pw, geo.inW);
                java.util.Arrays.fill(padded, base + pw + geo.inW, base + rs, 0f);
            }
        }
    }

    private static void forwardPlane(ConvSpec s, ConvOp.Geometry geo, float[] in, int rs, float[] w, int wOff,
                                     float bias, float[] out, int oOff, float[] row) {
        FloatVector w0 = FloatVector.broadcast(S, w[wOff]), w1 = FloatVector.broadcast(S, w[wOff + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[wOff + 2]), w3 = FloatVector.broadcast(S, w[wOff + 3]);
        FloatVector w4 = FloatVector.broadcast(S, w[wOff + 4]), w5 = FloatVector.broadcast(S, w[wOff + 5]);
        FloatVector w6 = FloatVector.broadcast(S, w[wOff + 6]), w7 = FloatVector.broadcast(S, w[wOff + 7]);
        FloatVector w8 = FloatVector.broadcast(S, w[wOff + 8]);
        FloatVector b = FloatVector.broadcast(S, bias);
        int outW = geo.outW;
        int sw = s.strideW();
        // With stride 1 full vectors go straight to the output and only the tail goes through `row`.
        int direct = sw == 1 ? S.loopBound(outW) : 0;
        int rowEnd = roundUp((outW - 1) * sw + 1);
        for (int oy = 0; oy < geo.outH; oy++) {
            int r0 = oy * s.strideH() * rs, r1 = r0 + rs, r2 = r1 + rs;
            int o = oOff + oy * outW;
            int j = 0;
            for (; j < direct; j += L) {
                taps(in, r0, r1, r2, j, w0, w1, w2, w3, w4, w5, w6, w7, w8, b).intoArray(out, o + j);
            }
            if (j >= (outW - 1) * sw + 1) {
                continue;
            }
            for (int k = j; k < rowEnd; k += L) {
                taps(in, r0, r1, r2, k, w0, w1, w2, w3, w4, w5, w6, w7, w8, b).intoArray(row, k);
            }
            if (sw == 1) {
                for (; j < outW; j++) {
                    out[o + j] = row[j];
                }
            } else {
                for (int ox = 0; ox < outW; ox++) {
                    out[o + ox] = row[2 * ox];
                }
            }
        }
    }

    /** The 9-tap dot product for L consecutive stride-1 positions starting at column {@code j}. */
    private static FloatVector taps(float[] in, int r0, int r1, int r2, int j, FloatVector w0, FloatVector w1,
                                    FloatVector w2, FloatVector w3, FloatVector w4, FloatVector w5, FloatVector w6,
                                    FloatVector w7, FloatVector w8, FloatVector acc) {
        acc = FloatVector.fromArray(S, in, r0 + j).fma(w0, acc);
        acc = FloatVector.fromArray(S, in, r0 + j + 1).fma(w1, acc);
        acc = FloatVector.fromArray(S, in, r0 + j + 2).fma(w2, acc);
        acc = FloatVector.fromArray(S, in, r1 + j).fma(w3, acc);
        acc = FloatVector.fromArray(S, in, r1 + j + 1).fma(w4, acc);
        acc = FloatVector.fromArray(S, in, r1 + j + 2).fma(w5, acc);
        acc = FloatVector.fromArray(S, in, r2 + j).fma(w6, acc);
        acc = FloatVector.fromArray(S, in, r2 + j + 1).fma(w7, acc);
        return FloatVector.fromArray(S, in, r2 + j + 2).fma(w8, acc);
    }

    /**
     * {@code gradX} (overwritten) and {@code gradW} (accumulated), either may be null. Parallel over channels,
     * each summing its images in order, so results do not depend on the thread count.
     */
    static void backward(ConvSpec s, ConvOp.Geometry geo, float[] x, float[] w, float[] g, float[] gradX,
                         float[] gradW) {
        int channels = s.inChannels();
        int grain = Math.max(1, 16384 / Math.max(1, geo.n * geo.inHW));
        Parallel.forRange(channels, grain, (from, to) -> {
            int rs = paddedRowStride(s, geo);
            int gRows = geo.inH + 2 * s.padH() + 2;
            int gStride = geo.inW + 2 * s.padW() + 2 * L + 4;
            float[] padded = gradW == null ? null : buffer(0, (geo.inH + 2 * s.padH()) * rs);
            float[] stuffed = buffer(1, gRows * gStride);
            float[] row = buffer(2, roundUp(geo.inW));
            double[] dw = new double[9];
            for (int c = from; c < to; c++) {
                java.util.Arrays.fill(dw, 0);
                for (int img = 0; img < geo.n; img++) {
                    int plane = img * channels + c;
                    stuff(s, geo, g, plane * geo.outHW, stuffed, gStride, gRows);
                    if (gradW != null) {
                        pad(s, geo, x, plane * geo.inHW, padded, rs);
                        weightGradientPlane(s, geo, padded, rs, stuffed, gStride, dw);
                    }
                    if (gradX != null) {
                        inputGradientPlane(s, geo, stuffed, gStride, w, c * 9, gradX, plane * geo.inHW, row);
                    }
                }
                if (gradW != null) {
                    for (int t = 0; t < 9; t++) {
                        gradW[c * 9 + t] += (float) dw[t];
                    }
                }
            }
        });
    }

    /**
     * Writes the gradient plane zero-stuffed for the stride (value of output (oy, ox) at (oy*sh, ox*sw)) with a
     * 2-element zero margin at the top and left, so the flipped 3×3 filter can gather without bounds checks.
     */
    private static void stuff(ConvSpec s, ConvOp.Geometry geo, float[] g, int gOff, float[] stuffed, int stride,
                              int rows) {
        java.util.Arrays.fill(stuffed, 0, rows * stride, 0f);
        int sh = s.strideH(), sw = s.strideW();
        for (int oy = 0; oy < geo.outH; oy++) {
            int dst = (oy * sh + 2) * stride + 2;
            int src = gOff + oy * geo.outW;
            if (sw == 1) {
                System.arraycopy(g, src, stuffed, dst, geo.outW);
            } else {
                for (int ox = 0; ox < geo.outW; ox++) {
                    stuffed[dst + ox * sw] = g[src + ox];
                }
            }
        }
    }

    /** {@code dw[ky*3+kx] += sum over outputs of grad * input tap}, on stuffed rows so both strides are one loop. */
    private static void weightGradientPlane(ConvSpec s, ConvOp.Geometry geo, float[] in, int rs, float[] stuffed,
                                            int gStride, double[] dw) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S), a4 = FloatVector.zero(S), a5 = FloatVector.zero(S);
        FloatVector a6 = FloatVector.zero(S), a7 = FloatVector.zero(S), a8 = FloatVector.zero(S);
        int rowEnd = roundUp((geo.outW - 1) * s.strideW() + 1);
        for (int oy = 0; oy < geo.outH; oy++) {
            int r = oy * s.strideH();
            int r0 = r * rs, r1 = r0 + rs, r2 = r1 + rs;
            int gr = (r + 2) * gStride + 2;
            for (int j = 0; j < rowEnd; j += L) {
                FloatVector gv = FloatVector.fromArray(S, stuffed, gr + j);
                a0 = gv.fma(FloatVector.fromArray(S, in, r0 + j), a0);
                a1 = gv.fma(FloatVector.fromArray(S, in, r0 + j + 1), a1);
                a2 = gv.fma(FloatVector.fromArray(S, in, r0 + j + 2), a2);
                a3 = gv.fma(FloatVector.fromArray(S, in, r1 + j), a3);
                a4 = gv.fma(FloatVector.fromArray(S, in, r1 + j + 1), a4);
                a5 = gv.fma(FloatVector.fromArray(S, in, r1 + j + 2), a5);
                a6 = gv.fma(FloatVector.fromArray(S, in, r2 + j), a6);
                a7 = gv.fma(FloatVector.fromArray(S, in, r2 + j + 1), a7);
                a8 = gv.fma(FloatVector.fromArray(S, in, r2 + j + 2), a8);
            }
        }
        dw[0] += a0.reduceLanes(VectorOperators.ADD);
        dw[1] += a1.reduceLanes(VectorOperators.ADD);
        dw[2] += a2.reduceLanes(VectorOperators.ADD);
        dw[3] += a3.reduceLanes(VectorOperators.ADD);
        dw[4] += a4.reduceLanes(VectorOperators.ADD);
        dw[5] += a5.reduceLanes(VectorOperators.ADD);
        dw[6] += a6.reduceLanes(VectorOperators.ADD);
        dw[7] += a7.reduceLanes(VectorOperators.ADD);
        dw[8] += a8.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@code gradX[iy][ix] = sum w[ky][kx] * stuffed[iy + ph - ky + 2][ix + pw - kx + 2]}: the stuffed gradient
     * correlated with the flipped filter.
     */
    private static void inputGradientPlane(ConvSpec s, ConvOp.Geometry geo, float[] stuffed, int gStride, float[] w,
                                           int wOff, float[] gradX, int xOff, float[] row) {
        // Flipped taps: the filter's last tap meets the first stuffed column.
        FloatVector f0 = FloatVector.broadcast(S, w[wOff + 8]), f1 = FloatVector.broadcast(S, w[wOff + 7]);
        FloatVector f2 = FloatVector.broadcast(S, w[wOff + 6]), f3 = FloatVector.broadcast(S, w[wOff + 5]);
        FloatVector f4 = FloatVector.broadcast(S, w[wOff + 4]), f5 = FloatVector.broadcast(S, w[wOff + 3]);
        FloatVector f6 = FloatVector.broadcast(S, w[wOff + 2]), f7 = FloatVector.broadcast(S, w[wOff + 1]);
        FloatVector f8 = FloatVector.broadcast(S, w[wOff]);
        FloatVector zero = FloatVector.zero(S);
        int inW = geo.inW;
        int direct = S.loopBound(inW);
        int ph = s.padH(), pw = s.padW();
        for (int iy = 0; iy < geo.inH; iy++) {
            // Rows iy+ph-ky+2 for ky = 2, 1, 0 and columns from ix+pw-kx+2 for kx = 2, 1, 0.
            int r0 = (iy + ph) * gStride + pw, r1 = r0 + gStride, r2 = r1 + gStride;
            int o = xOff + iy * inW;
            int j = 0;
            for (; j < direct; j += L) {
                taps(stuffed, r0, r1, r2, j, f0, f1, f2, f3, f4, f5, f6, f7, f8, zero).intoArray(gradX, o + j);
            }
            if (j < inW) {
                taps(stuffed, r0, r1, r2, j, f0, f1, f2, f3, f4, f5, f6, f7, f8, zero).intoArray(row, 0);
                for (int t = 0; j < inW; j++, t++) {
                    gradX[o + j] = row[t];
                }
            }
        }
    }
}
