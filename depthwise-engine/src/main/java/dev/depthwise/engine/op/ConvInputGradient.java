package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The input gradient of {@link ConvOp}'s convs, {@code gradX = Wᵀ · gradOut}: for a stride-1 conv with enough input
 * channels a conv of gradOut with the flipped, transposed weights, run by the forward's paths (a GEMM, or Winograd
 * where the policy says so: {@link #inputGradientAsConv}); for a pointwise conv a GEMM straight into gradX; for
 * the rest a GEMM into columns that col2im scatters back onto the input's pixels.
 */
final class ConvInputGradient {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** The calling thread's flipped, transposed weights. */
    private static final ThreadLocal<float[][]> FLIPPED_WEIGHTS = ThreadLocal.withInitial(() -> new float[1][0]);

    private ConvInputGradient() {
    }

    /** {@code gradX = W^T · gradOut}, scattered back through col2im unless the conv is pointwise. */
    static void inputGradient(ConvSpec s, ConvOp.Geometry geo, float[] w, float[] g, float[] gradX,
                              WinogradPolicy winograd) {
        if (gradientIsConv(s, geo)) {
            inputGradientAsConv(s, geo, w, g, gradX, winograd);
            return;
        }
        int cinG = s.inPerGroup(), coutG = s.outPerGroup(), kk = geo.kk;
        if (geo.pointwise && s.groups() == 1) {
            int chunk = geo.packedColumnChunk();
            int chunks = (geo.outHW + chunk - 1) / chunk;
            if (geo.n * chunks >= 2 * Parallel.threads()) {
                // As the forward: W^T packed once for every (image, chunk) task, not once per task.
                int cin = s.inChannels(), cout = s.outChannels();
                float[] packedWt = ConvOp.scratch(ConvOp.PACKED_WEIGHTS, Gemm.packedRows(cin) * cout);
                Gemm.packA(true, cin, cout, w, 0, cin, packedWt);
                Parallel.forRange(geo.n * chunks, (from, to) -> {
                    for (int t = from; t < to; t++) {
                        int img = t / chunks;
                        int j0 = (t % chunks) * chunk;
                        int cols = Math.min(chunk, geo.outHW - j0);
                        Gemm.matmulPackedAOnThisThread(0, cin, cin, cols, cout, packedWt, g,
                                img * cout * geo.outHW + j0, geo.outHW, gradX, img * cin * geo.inHW + j0, geo.inHW);
                    }
                });
                return;
            }
        }
        if (geo.pointwise) {
            int chunk = geo.columnChunk();
            int chunks = (geo.outHW + chunk - 1) / chunk;
            ConvOp.forTasks(geo.n * chunks, (from, to) -> {
                for (int t = from; t < to; t++) {
                    int img = t / chunks;
                    int j0 = (t % chunks) * chunk;
                    int cols = Math.min(chunk, geo.outHW - j0);
                    for (int gr = 0; gr < s.groups(); gr++) {
                        int xOff = (img * s.inChannels() + gr * cinG) * geo.inHW + j0;
                        int gOff = (img * s.outChannels() + gr * coutG) * geo.outHW + j0;
                        Gemm.matmul(true, false, cinG, cols, coutG, w, gr * coutG * kk, kk, g, gOff, geo.outHW,
                                gradX, xOff, geo.inHW, false);
                    }
                }
            });
            return;
        }
        // col2im adds overlapping receptive fields, so one image is one task.
        int chunk = Math.max(1, Math.min(geo.outHW, ConvOp.COLUMN_BUFFER_FLOATS / kk));
        Parallel.RangeBody images = (from, to) -> {
            for (int img = from; img < to; img++) {
                java.util.Arrays.fill(gradX, img * s.inChannels() * geo.inHW,
                        (img + 1) * s.inChannels() * geo.inHW, 0f);
                for (int j0 = 0; j0 < geo.outHW; j0 += chunk) {
                    int cols = Math.min(chunk, geo.outHW - j0);
                    float[] col = ConvOp.scratch(ConvOp.COLUMNS, kk * cols);
                    for (int gr = 0; gr < s.groups(); gr++) {
                        int xOff = (img * s.inChannels() + gr * cinG) * geo.inHW;
                        int gOff = (img * s.outChannels() + gr * coutG) * geo.outHW + j0;
                        Gemm.matmul(true, false, kk, cols, coutG, w, gr * coutG * kk, kk, g, gOff, geo.outHW,
                                col, 0, cols, false);
                        col2im(s, geo, col, cinG, j0, cols, gradX, xOff);
                    }
                }
            }
        };
        if (geo.n >= Parallel.threads()) {
            Parallel.forRange(geo.n, images);
        } else {
            images.run(0, geo.n); // too few images to share: the GEMMs inside run in parallel instead
        }
    }

    private static final ThreadLocal<ConvOp.Geometry> TRANSPOSED_GEOMETRIES =
            ThreadLocal.withInitial(ConvOp.Geometry::new);

    /**
     * Whether the input gradient runs as a forward conv ({@link #inputGradientAsConv}): stride and dilation 1, one
     * group, padding inside the kernel, and enough input channels to fill the GEMM's register tile.
     */
    static boolean gradientIsConv(ConvSpec s, ConvOp.Geometry geo) {
        return !geo.pointwise && s.groups() == 1 && s.strideH() == 1 && s.strideW() == 1 && s.dilationH() == 1
                && s.dilationW() == 1 && s.padH() < s.kernelH() && s.padW() < s.kernelW()
                && s.inChannels() >= Gemm.MR;
    }

    /**
     * The input gradient of a stride-1 conv is itself a "full" conv: {@code gradX = conv(gradOut, W')} with
     * {@code W'[ci][co][ky][kx] = W[co][ci][kh-1-ky][kw-1-kx]} and padding {@code k-1-pad}. Run that way it takes the
     * forward's path (weights packed once, one task per image and column chunk, outputs written once) instead of
     * a GEMM per image with the weights repacked each time and col2im's scattered adds; or as a Winograd conv, where
     * the policy says so for the transposed conv.
     */
    private static void inputGradientAsConv(ConvSpec s, ConvOp.Geometry geo, float[] w, float[] g,
                                            float[] gradX, WinogradPolicy winograd) {
        float[] flipped = ConvOp.scratch(FLIPPED_WEIGHTS, w.length);
        Flip flip = FLIPS.get();
        flip.set(s, w, flipped);
        try {
            Parallel.forRange(s.outChannels(), Math.max(1, 65536 / (s.inChannels() * flip.taps)), flip);
        } finally {
            flip.clear();
        }
        ConvSpec transposed = TRANSPOSED_SPECS.computeIfAbsent(s, ConvInputGradient::transposed);
        WinogradConv.Tile tile = ConvOp.winogradTile(winograd, transposed, geo.n, geo.outH, geo.outW);
        if (tile != null) {
            NchwWinogradConv.forward(transposed, tile, geo.n, geo.outH, geo.outW, g, flipped, null, gradX);
            return;
        }
        ConvOp.Geometry tg = TRANSPOSED_GEOMETRIES.get().set(transposed, geo.n, geo.outH, geo.outW);
        ConvOp.forwardGemm(transposed, tg, g, flipped, null, gradX);
    }

    /** The conv whose forward is {@code s}'s input gradient; one per spec, kept, so that a call makes none. */
    private static final Map<ConvSpec, ConvSpec> TRANSPOSED_SPECS = new ConcurrentHashMap<>();

    private static ConvSpec transposed(ConvSpec s) {
        int kh = s.kernelH(), kw = s.kernelW();
        return new ConvSpec(s.outChannels(), s.inChannels(), kh, kw, 1, 1, kh - 1 - s.padH(), kw - 1 - s.padW(), 1, 1,
                1);
    }

    private static final ThreadLocal<Flip> FLIPS = ThreadLocal.withInitial(Flip::new);

    /**
     * {@code W'[ci][co] = W[co][ci]} with the taps reversed, as a reusable body per calling thread, so that the
     * flip allocates nothing per call (a lambda over the weights would).
     */
    private static final class Flip implements Parallel.RangeBody {
        float[] w, flipped;
        int cin, cout, taps;

        void set(ConvSpec s, float[] w, float[] flipped) {
            this.w = w;
            this.flipped = flipped;
            cin = s.inChannels();
            cout = s.outChannels();
            taps = s.kernelH() * s.kernelW();
        }

        void clear() {
            w = flipped = null;
        }

        @Override
        public void run(int from, int to) {
            for (int co = from; co < to; co++) {
                for (int ci = 0; ci < cin; ci++) {
                    int src = (co * cin + ci) * taps, dst = (ci * cout + co) * taps;
                    for (int t = 0; t < taps; t++) {
                        flipped[dst + t] = w[src + taps - 1 - t];
                    }
                }
            }
        }
    }

    /** The adjoint of {@link ConvOp#im2col}: adds each column entry back onto the input pixel it came from. */
    static void col2im(ConvSpec s, ConvOp.Geometry geo, float[] col, int cin, int j0, int cols, float[] gx,
                       int xOff) {
        int kh = s.kernelH(), kw = s.kernelW(), sw = s.strideW();
        int row = 0;
        for (int c = 0; c < cin; c++) {
            int plane = xOff + c * geo.inHW;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++, row++) {
                    int src = row * cols;
                    int oy = j0 / geo.outW, ox = j0 % geo.outW;
                    for (int j = 0; j < cols; oy++, ox = 0) {
                        int run = Math.min(geo.outW - ox, cols - j);
                        int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                        if (iy >= 0 && iy < geo.inH) {
                            int ix0 = ox * sw - s.padW() + kx * s.dilationW();
                            int lo = Math.min(run, ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw);
                            int hi = Math.max(lo, Math.min(run, ix0 >= geo.inW ? 0 : (geo.inW - ix0 + sw - 1) / sw));
                            int dst = plane + iy * geo.inW + ix0;
                            if (sw == 1) {
                                addInto(col, src + lo, gx, dst + lo, hi - lo);
                            } else {
                                for (int t = lo; t < hi; t++) {
                                    gx[dst + t * sw] += col[src + t];
                                }
                            }
                        }
                        j += run;
                        src += run;
                    }
                }
            }
        }
    }

    /** {@code dst[d..d+len) += src[s..s+len)}, vectorised (C2 does not auto-vectorise it: the arrays may alias). */
    private static void addInto(float[] src, int s, float[] dst, int d, int len) {
        int i = 0;
        for (int end = F.loopBound(len); i < end; i += F.length()) {
            FloatVector.fromArray(F, dst, d + i).add(FloatVector.fromArray(F, src, s + i)).intoArray(dst, d + i);
        }
        for (; i < len; i++) {
            dst[d + i] += src[s + i];
        }
    }
}
