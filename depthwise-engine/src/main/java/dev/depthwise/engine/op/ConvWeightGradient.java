package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of {@link ConvOp}'s GEMM paths (every conv but the depthwise 3×3 and the Winograd ones):
 * {@code gradW += sum over images of gradOut · cols(x)^T}, through im2col or, for stride-1 convs with few output
 * channels for the plane width, a channels-last copy of the input. Partial sums per thread are added in a fixed
 * order, so the result does not depend on scheduling.
 */
final class ConvWeightGradient {
    /** Per-partition weight-gradient partial sums, owned by the calling thread and filled by the workers. */
    private static final ThreadLocal<float[][]> PARTIALS = ThreadLocal.withInitial(() -> new float[0][]);

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private ConvWeightGradient() {
    }

    /** {@code gradW += sum over images of gradOut · cols(x)^T}. */
    static void weightGradient(ConvSpec s, ConvOp.Geometry geo, float[] x, float[] g, float[] gradW) {
        int wSize = s.outChannels() * geo.kk;
        int parts = Math.min(Parallel.threads(), geo.n);
        if (weightGradientIsChannelsLast(s, geo)) {
            weightGradientChannelsLast(s, geo, x, g, gradW, parts);
            return;
        }
        if (parts <= 1) {
            weightGradientOfImages(s, geo, x, g, gradW, 0, geo.n);
            return;
        }
        float[][] partials = partials(parts, wSize);
        Parallel.forRange(parts, (from, to) -> {
            for (int p = from; p < to; p++) {
                java.util.Arrays.fill(partials[p], 0, wSize, 0f);
                weightGradientOfImages(s, geo, x, g, partials[p], p * geo.n / parts, (p + 1) * geo.n / parts);
            }
        });
        // Reduce in partition order, in parallel over the weights: the same sum whatever ran where.
        Parallel.forRange(wSize, 4096, (from, to) -> {
            for (int p = 0; p < parts; p++) {
                float[] part = partials[p];
                for (int i = from; i < to; i++) {
                    gradW[i] += part[i];
                }
            }
        });
    }

    /**
     * Whether the weight gradient runs tap by tap on a channels-last copy of the input ({@link
     * #weightGradientChannelsLast}): stride and dilation 1, one group, enough images to give every thread its own,
     * and few output channels for the plane width. The im2col path transposes the whole column matrix
     * (kk × pixels, element by element) to pack it for a GEMM whose k runs along pixels; with few output channels
     * each packed value is used by few multiply-adds and that transposition took a third of the time. The
     * channels-last path transposes only the input (9 times less for 3x3) but multiplies over padded rows, so
     * {@code 2·pad / width} more: that only pays where the plane is wide for its channel count.
     */
    static boolean weightGradientIsChannelsLast(ConvSpec s, ConvOp.Geometry geo) {
        return !geo.pointwise && s.groups() == 1 && s.strideH() == 1 && s.strideW() == 1 && s.dilationH() == 1
                && s.dilationW() == 1 && geo.n >= Parallel.threads() && 16 * geo.outW > s.outChannels()
                && s.inChannels() >= Gemm.MR; // runs of fewer channels are copied float by float
    }

    /**
     * {@code gradW += sum over images of gradOut · cols(x)^T}, computed as one GEMM per image whose B is, for each
     * tap {@code (ky, kx)} and input channel, the input shifted by the tap. With the input copied channels-last and
     * zero-padded ({@code xt[(iy + padH) * wp + ix + padW][c]}, {@code wp = inW + 2 padW}) and gradOut copied
     * with its rows padded to the same width {@code wp} (zeros past {@code outW}), output pixel {@code p = oy * wp
     * + ox} meets input pixel {@code p + ky * wp + kx} for every tap: B's row p for tap t is a contiguous run of
     * channels at a fixed offset, packed by plain copies ({@link ChannelsLastPanels}). C comes out tap-major
     * ({@code [co][tap][ci]}) and is permuted into OIHW while the per-thread partial sums are added up.
     */
    private static void weightGradientChannelsLast(ConvSpec s, ConvOp.Geometry geo, float[] x, float[] g, float[] gradW,
                                                   int parts) {
        int cout = s.outChannels(), cin = s.inChannels(), taps = s.kernelH() * s.kernelW(), kk = geo.kk;
        float[][] partials = partials(parts, cout * kk);
        Parallel.forRange(parts, (from, to) -> {
            for (int p = from; p < to; p++) {
                java.util.Arrays.fill(partials[p], 0, cout * kk, 0f);
                weightGradientChannelsLastOfImages(s, geo, x, g, partials[p], p * geo.n / parts,
                        (p + 1) * geo.n / parts);
            }
        });
        // Reduce in partition order, permuting [co][tap][ci] to [co][ci][tap]: the same sum whatever ran where.
        Parallel.forRange(cout, Math.max(1, 4096 / kk), (from, to) -> {
            for (int co = from; co < to; co++) {
                for (int ci = 0; ci < cin; ci++) {
                    int at = (co * cin + ci) * taps;
                    for (int t = 0; t < taps; t++) {
                        int src = co * kk + t * cin + ci;
                        for (int p = 0; p < parts; p++) {
                            gradW[at + t] += partials[p][src];
                        }
                    }
                }
            }
        });
    }

    private static final ThreadLocal<float[][]> CHANNELS_LAST = ThreadLocal.withInitial(() -> new float[1][0]);
    private static final ThreadLocal<float[][]> PADDED_GRADIENTS = ThreadLocal.withInitial(() -> new float[1][0]);
    private static final ThreadLocal<ChannelsLastPanels> CHANNELS_LAST_PANELS =
            ThreadLocal.withInitial(ChannelsLastPanels::new);

    /** Adds images {@code [fromImg, toImg)}'s weight gradient, tap-major, to {@code partial}; see above. */
    private static void weightGradientChannelsLastOfImages(ConvSpec s, ConvOp.Geometry geo, float[] x, float[] g,
                                                           float[] partial, int fromImg, int toImg) {
        int cin = s.inChannels(), cout = s.outChannels(), ph = s.padH(), pw = s.padW();
        int wp = geo.inW + 2 * pw, hp = geo.inH + 2 * ph, rows = geo.outH * wp;
        // The last taps of the last padded row read kw - 1 pixels past the padded plane (times zero gradients).
        int xtSize = (hp * wp + s.kernelW()) * cin;
        float[] xt = ConvOp.scratch(CHANNELS_LAST, xtSize);
        float[] gp = ConvOp.scratch(PADDED_GRADIENTS, cout * rows);
        // Padding and the gradient's extra columns are zero for every image: clear once, then write the rest.
        java.util.Arrays.fill(xt, 0, xtSize, 0f);
        java.util.Arrays.fill(gp, 0, cout * rows, 0f);
        ChannelsLastPanels panels = CHANNELS_LAST_PANELS.get().set(xt, cin, wp, s.kernelW());
        try {
            for (int img = fromImg; img < toImg; img++) {
                int xOff = img * cin * geo.inHW;
                for (int iy = 0; iy < geo.inH; iy++) {
                    int rowBase = ((iy + ph) * wp + pw) * cin;
                    for (int c = 0; c < cin; c++) {
                        int src = xOff + c * geo.inHW + iy * geo.inW;
                        for (int ix = 0, d = rowBase + c; ix < geo.inW; ix++, d += cin) {
                            xt[d] = x[src + ix];
                        }
                    }
                }
                int gOff = img * cout * geo.outHW;
                for (int co = 0; co < cout; co++) {
                    for (int oy = 0; oy < geo.outH; oy++) {
                        System.arraycopy(g, gOff + co * geo.outHW + oy * geo.outW, gp, co * rows + oy * wp,
                                geo.outW);
                    }
                }
                Gemm.matmulOnThisThread(cout, geo.kk, rows, gp, 0, rows, panels, partial, 0, geo.kk, true);
            }
        } finally {
            panels.clear();
        }
    }

    /** B of {@link #weightGradientChannelsLast}: {@code B[p][tap * cin + c] = xt[(p + ky * wp + kx) * cin + c]}. */
    private static final class ChannelsLastPanels implements Gemm.PanelSource {
        private float[] xt;
        private int cin, wp, kw;

        ChannelsLastPanels set(float[] xt, int cin, int wp, int kw) {
            this.xt = xt;
            this.cin = cin;
            this.wp = wp;
            this.kw = kw;
            return this;
        }

        void clear() {
            xt = null;
        }

        @Override
        public void pack(int pc, int kc, int jc, int nc, float[] dst) {
            for (int jr = 0; jr < nc; jr += Gemm.NR) {
                int nr = Math.min(Gemm.NR, nc - jr);
                int base = jr * kc;
                // A strip of columns is one run of channels per tap it covers (one run when cin % NR == 0).
                for (int j = jc + jr, end = j + nr; j < end; ) {
                    int tap = j / cin, c0 = j % cin, len = Math.min(cin - c0, end - j);
                    int src = (pc + tap / kw * wp + tap % kw) * cin + c0;
                    int d = base + j - (jc + jr);
                    for (int p = 0; p < kc; p++, src += cin, d += Gemm.NR) {
                        copy(xt, src, dst, d, len);
                    }
                    j += len;
                }
                if (nr < Gemm.NR) {
                    for (int p = 0, d = base; p < kc; p++, d += Gemm.NR) {
                        java.util.Arrays.fill(dst, d + nr, d + Gemm.NR, 0f);
                    }
                }
            }
        }
    }

    /**
     * An operand of the pointwise weight gradient whose line {@code l} is channel {@code l} of NCHW images from
     * {@code firstImage} on, and whose k runs over their pixels, image after image: {@code line(l)[p] =
     * t[((firstImage + p / plane) * channels + l) * plane + p % plane]}.
     */
    private static final class ImagePixels implements Gemm.PanelSource {
        private float[] t;
        private int channels, plane, firstImage, width;

        ImagePixels set(float[] t, int channels, int plane, int firstImage, int width) {
            this.t = t;
            this.channels = channels;
            this.plane = plane;
            this.firstImage = firstImage;
            this.width = width;
            return this;
        }

        void clear() {
            t = null;
        }

        @Override
        public void pack(int pc, int kc, int from, int count, float[] dst) {
            for (int strip = 0; strip < count; strip += width) {
                int lines = Math.min(width, count - strip);
                int base = strip * kc;
                for (int l = 0; l < lines; l++) {
                    int d = base + l;
                    for (int p = pc, end = pc + kc; p < end; ) {
                        int q = p % plane, len = Math.min(plane - q, end - p);
                        int src = ((firstImage + p / plane) * channels + from + strip + l) * plane + q;
                        for (int i = 0; i < len; i++, d += width) {
                            dst[d] = t[src + i];
                        }
                        p += len;
                    }
                }
                for (int l = lines; l < width; l++) {
                    for (int p = 0, d = base + l; p < kc; p++, d += width) {
                        dst[d] = 0f;
                    }
                }
            }
        }
    }

    /**
     * {@code dst[d, d+len) = src[s, s+len)} in whole vectors, the last one overlapping the one before when len is
     * not a multiple of the vector length (scalar below one vector): System.arraycopy's call costs more than
     * copying these few floats.
     */
    private static void copy(float[] src, int s, float[] dst, int d, int len) {
        int l = F.length();
        if (len < l) {
            for (int i = 0; i < len; i++) {
                dst[d + i] = src[s + i];
            }
            return;
        }
        int i = 0;
        for (; i + l <= len; i += l) {
            FloatVector.fromArray(F, src, s + i).intoArray(dst, d + i);
        }
        if (i < len) {
            FloatVector.fromArray(F, src, s + len - l).intoArray(dst, d + len - l);
        }
    }

    /**
     * The calling thread's per-partition weight-gradient sums, at least {@code size} floats each; also {@link
     * NchwWinogradConv}'s, so the two paths share one set.
     */
    static float[][] partials(int parts, int size) {
        float[][] held = PARTIALS.get();
        if (held.length < parts) {
            held = java.util.Arrays.copyOf(held, parts);
            PARTIALS.set(held);
        }
        for (int p = 0; p < parts; p++) {
            if (held[p] == null || held[p].length < size) {
                held[p] = new float[size];
            }
        }
        return held;
    }

    /**
     * Whether a pointwise conv's weight gradient is one GEMM whose k runs over every pixel of a partition's images
     * ({@link ImagePixels}) rather than one GEMM per image: where the planes are small (below 256 pixels), so
     * that a per-image GEMM has a short k and reads and writes all of C for it. At MobileNetV2's 4x4 planes
     * (k = 16 per image) that made the weight gradients about 1.4x faster; on large planes the per-image dot
     * products, which pack nothing, stay faster than packing both operands (64x64: 1.4x slower packed).
     */
    static boolean weightGradientIsOverImages(ConvSpec s, ConvOp.Geometry geo) {
        return geo.pointwise && s.groups() == 1 && geo.outHW < ConvOp.PACKED_MIN_CHUNK;
    }

    private static final ThreadLocal<ImagePixels> GRADIENT_PIXELS = ThreadLocal.withInitial(ImagePixels::new);
    private static final ThreadLocal<ImagePixels> INPUT_PIXELS = ThreadLocal.withInitial(ImagePixels::new);

    private static void weightGradientOfImages(ConvSpec s, ConvOp.Geometry geo, float[] x, float[] g, float[] gradW,
                                               int fromImg, int toImg) {
        if (weightGradientIsOverImages(s, geo)) {
            int cout = s.outChannels(), cin = s.inChannels();
            ImagePixels gradients = GRADIENT_PIXELS.get().set(g, cout, geo.outHW, fromImg, Gemm.MR);
            ImagePixels inputs = INPUT_PIXELS.get().set(x, cin, geo.inHW, fromImg, Gemm.NR);
            try {
                Gemm.matmulOnThisThread(cout, cin, (toImg - fromImg) * geo.outHW, gradients, inputs, gradW, 0, cin,
                        true);
            } finally {
                gradients.clear();
                inputs.clear();
            }
            return;
        }
        int cinG = s.inPerGroup(), coutG = s.outPerGroup(), kk = geo.kk;
        // The chunk is the GEMM's k: at least 256 pixels, or a 512-channel weight gradient (kk = 4608) is summed
        // 56 pixels at a time and its 9 MB of C is read and written back per 56 (1.3x slower).
        int chunk = geo.pointwise ? geo.outHW
                : Math.min(geo.outHW, Math.max(ConvOp.PACKED_MIN_CHUNK, ConvOp.COLUMN_BUFFER_FLOATS / kk));
        for (int img = fromImg; img < toImg; img++) {
            for (int j0 = 0; j0 < geo.outHW; j0 += chunk) {
                int cols = Math.min(chunk, geo.outHW - j0);
                for (int gr = 0; gr < s.groups(); gr++) {
                    int xOff = (img * s.inChannels() + gr * cinG) * geo.inHW;
                    int gOff = (img * s.outChannels() + gr * coutG) * geo.outHW + j0;
                    if (geo.pointwise) {
                        Gemm.matmul(false, true, coutG, kk, cols, g, gOff, geo.outHW, x, xOff + j0, geo.inHW,
                                gradW, gr * coutG * kk, kk, true);
                    } else {
                        float[] col = ConvOp.scratch(ConvOp.COLUMNS, kk * cols);
                        ConvOp.im2col(s, geo, x, xOff, cinG, j0, cols, col);
                        Gemm.matmul(false, true, coutG, kk, cols, g, gOff, geo.outHW, col, 0, cols,
                                gradW, gr * coutG * kk, kk, true);
                    }
                }
            }
        }
    }
}
