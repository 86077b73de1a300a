package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd convolution F(m×m, 3×3) for dense 3×3 convs at stride 1: what its two forms share. Each m×m output tile
 * costs (m+2)² multiplications per input and output channel instead of 9m², 2.25× fewer for F(4×4, 3×3) and 1.78×
 * for F(2×2, 3×3). A conv
 * <ol>
 *   <li>transforms the input tiles, {@code V = Bᵀ d B}, into (m+2)² matrices of input channels by tiles,</li>
 *   <li>multiplies each by its transformed weights {@code U = G g Gᵀ}, {@code M[ξ] = U[ξ] · V[ξ]} ((m+2)² GEMMs),</li>
 *   <li>transforms back, {@code Y = Aᵀ M A}, adds the bias and applies the activation.</li>
 * </ol>
 * This class holds the tiles and their matrices ({@link Tile}, built by Toom-Cook from interpolation points, as in
 * Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016; {@code WinogradConvTest} measures their
 * float32 error against the definition), the weight transform, the one vector step both forms' transforms are made
 * of ({@link #combine}) and the cost model that chooses a tile per layer. The forms: {@link NchwWinogradConv} on
 * NCHW tensors (training's forward, input gradient and weight gradient, and {@link #prepare}'s op) and {@link
 * BlockedWinogradConv} on planned inference's channel-blocked layout.
 */
public final class WinogradConv {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** What {@link #combine} adds where it adds nothing: one vector of zeros. */
    static final float[] NO_ADD = new float[L];

    /**
     * The output tile, with the interpolation points its transforms are built from (plus the point at infinity).
     * F(4×4) uses 0, ±1, 1/2, -2 (the choice of Barabasz et al., "Error analysis and improving the accuracy of
     * Winograd convolution", 2020) rather than Lavin and Gray's 0, ±1, ±2: on the shapes of {@code WinogradConvTest}
     * its largest error against the definition was 0.4–0.6 of theirs, which reached 4.4 times the golden tolerance
     * with 256 input channels (now at most 0.7 of it; F(2×2) at most 0.14, direct convolution 0.15).
     */
    public enum Tile {
        F2(2, 0, 1, -1),
        F4(4, 0, -1, 1, 0.5, -2);

        /** Output tile side m; the input tile side is m + 2. */
        public final int m;
        final int a;
        /** Bᵀ (a×a), G (a×3), Aᵀ (m×a), and A (a×m) for the weight gradient's transform of gradOut. */
        final float[][] bt;
        final float[][] g;
        final float[][] at;
        final float[][] aMat;

        Tile(int m, double... points) {
            this.m = m;
            this.a = m + 2;
            this.bt = new float[a][a];
            this.g = new float[a][3];
            this.at = new float[m][a];
            // Toom-Cook: Aᵀ evaluates at the points, G divides by each Lagrange denominator, Bᵀ holds the
            // coefficients of M(x) / (x - p) where M(x) is the product of (x - p) over all points.
            double[] product = {1};
            for (double p : points) {
                product = timesLinear(product, p);
            }
            for (int j = 0; j < a - 1; j++) {
                double p = points[j];
                double denominator = 1;
                for (double q : points) {
                    denominator *= q == p ? 1 : p - q;
                }
                for (int i = 0; i < m; i++) {
                    at[i][j] = (float) Math.pow(p, i);
                }
                for (int t = 0; t < 3; t++) {
                    g[j][t] = (float) (Math.pow(p, t) / denominator);
                }
                double[] quotient = dividedByLinear(product, p);
                for (int i = 0; i < quotient.length; i++) {
                    bt[j][i] = (float) quotient[i];
                }
            }
            at[m - 1][a - 1] = 1;
            g[a - 1][2] = 1;
            for (int i = 0; i < a; i++) {
                bt[a - 1][i] = (float) product[i];
            }
            this.aMat = new float[a][m];
            for (int i = 0; i < a; i++) {
                for (int p = 0; p < m; p++) {
                    aMat[i][p] = at[p][i];
                }
            }
        }

        /** Multiplications per output pixel, input channel and output channel: (m+2)²/m², against 9 for direct. */
        public double multipliesPerOutput() {
            return (double) a * a / (m * m);
        }

        /** Coefficients (lowest power first) of c(x)·(x - p). */
        private static double[] timesLinear(double[] c, double p) {
            double[] r = new double[c.length + 1];
            for (int i = 0; i < c.length; i++) {
                r[i + 1] += c[i];
                r[i] -= p * c[i];
            }
            return r;
        }

        /** Coefficients of c(x) / (x - p), where p is a root of c. */
        private static double[] dividedByLinear(double[] c, double p) {
            double[] r = new double[c.length - 1];
            double carry = 0;
            for (int i = c.length - 1; i >= 1; i--) {
                carry = c[i] + carry * p;
                r[i - 1] = carry;
            }
            return r;
        }
    }

    /** {@code a}, or a new array when {@code a} is shorter than {@code n}: per-thread scratch grows, then is reused. */
    static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }

    private WinogradConv() {
    }

    /** Dense (one group), 3×3, stride 1, no dilation: the convs Winograd convolution computes here. Any padding. */
    public static boolean supports(ConvSpec s) {
        return s.groups() == 1 && s.kernelH() == 3 && s.kernelW() == 3 && s.strideH() == 1 && s.strideW() == 1
                && s.dilationH() == 1 && s.dilationW() == 1;
    }

    /**
     * The NCHW form bound to its tensors, with the weights ({@code [out, in, 3, 3]}) transformed once. {@code bias}
     * may be null. Each {@link NchwWinogradConv#run} then writes {@code activation(conv(x) + bias)} into {@code out}.
     */
    public static NchwWinogradConv prepare(ConvSpec spec, Tile tile, Tensor x, Tensor weight, Tensor bias, Tensor out,
                                       Activation activation) {
        if (!supports(spec)) {
            throw new IllegalArgumentException("winograd conv: needs a dense 3x3 conv at stride 1 without dilation, got "
                    + spec);
        }
        requireShape("weight", weight, spec.weightShape());
        if (bias != null) {
            requireShape("bias", bias, spec.outChannels());
        }
        int[] outShape = spec.outputShape(OpChecks.present("winograd conv", "input", x).shape());
        requireShape("output", out, outShape);
        return new NchwWinogradConv().bind(spec, tile, x.n(), x.h(), x.w(), x.data(), out.data(),
                transformWeights(tile, weight, spec),
                bias == null ? null : java.util.Arrays.copyOf(bias.data(), spec.outChannels()), activation,
                NchwWinogradConv.CHUNK_TILES);
    }

    /**
     * Multiply-add equivalents of the transforms per transformed point, channel and tile, against the GEMM's one per
     * multiply-add: fitted to thread CPU times of F(2×2) and F(4×4) at 64–256 channels (transforms at 0.4–1.4 of the
     * GEMMs' time), one thread, on a loaded 2-core AVX-512 machine; {@code bench kernels} prints the model's
     * predictions beside the measured times, to re-fit it on a quiet machine.
     */
    static final double TRANSFORM_COST = 35;
    /**
     * Multiply-add equivalents per transformed weight each time a chunk's GEMM packs and streams it: with few tiles per
     * chunk (16×16 and 8×8 planes at 512 channels, 1 MB of weights per point) this, not the arithmetic, bounds the
     * GEMMs. Fitted to the same measurements (F(4×4) at 16×16×512 as slow as F(2×2), at 8×8×512 twice as slow).
     */
    static final double WEIGHT_PASS_COST = 20;

    /**
     * The cost model for choosing per layer: predicted time of this op with {@code tile} on an {@code n×C×h×w} input,
     * as a fraction of a direct convolution's running at the same GEMM efficiency (below 1: Winograd should win).
     * GEMM work is (m+2)² multiply-adds per tile lane, input and output channel, slowed when a chunk has fewer lanes
     * than fill the GEMM's register tiles, plus each chunk's pass over the transformed weights; the transforms cost
     * {@link #TRANSFORM_COST} per point, lane and channel.
     */
    public static double relativeCost(ConvSpec spec, Tile tile, int n, int h, int w) {
        int outH = spec.outputHeight(h);
        int outW = spec.outputWidth(w);
        int tilesH = NchwWinogradConv.tiles(tile, outH);
        int tilesW = NchwWinogradConv.tiles(tile, outW);
        int rowsPerChunk = NchwWinogradConv.rowsPerChunk(tilesH, tilesW, NchwWinogradConv.CHUNK_TILES);
        double lanes = (double) n * tilesH * (tilesW + 1);
        int perChunk = rowsPerChunk * (tilesW + 1); // GEMM columns of a full chunk: its tiles and the spare lanes
        double gemmEfficiency = (double) perChunk / roundUp(perChunk, Gemm.NR);
        double chunks = (double) n * ((tilesH + rowsPerChunk - 1) / rowsPerChunk);
        double c = spec.inChannels();
        double k = spec.outChannels();
        return estimate(tile, spec, lanes, gemmEfficiency, chunks) / (9.0 * c * k * n * outH * outW);
    }

    /**
     * The model's cost, in multiply-adds at GEMM speed, of {@code lanes} tiles in {@code chunks} chunks, the GEMMs at
     * this efficiency.
     */
    static double estimate(Tile tile, ConvSpec spec, double lanes, double gemmEfficiency, double chunks) {
        double points = tile.a * tile.a;
        double c = spec.inChannels();
        double k = spec.outChannels();
        return points * c * k * (lanes / gemmEfficiency + WEIGHT_PASS_COST * chunks)
                + TRANSFORM_COST * points * (c + k) * lanes;
    }

    /** The tile the cost model expects fastest for this conv, or null when a direct convolution is (or is the only way). */
    public static Tile choose(ConvSpec spec, int n, int h, int w) {
        return cheapest(spec, n, h, w, WinogradConv::relativeCost);
    }

    /** A form's cost model: the predicted time of a conv with a tile, as a fraction of a direct convolution's. */
    @FunctionalInterface
    interface CostModel {
        double relativeCost(ConvSpec spec, Tile tile, int n, int h, int w);
    }

    /**
     * The tiles, as {@link #cheapest} tries them: training asks on every conv call, and {@code Tile.values()} would
     * copy the array each time.
     */
    private static final Tile[] TILES = Tile.values();

    /**
     * The tile of least relative cost below 1 (direct convolution's), or null; null too for a conv not supported. The
     * model is a method, not a lambda over the conv's size, so that choosing allocates nothing.
     */
    static Tile cheapest(ConvSpec spec, int n, int h, int w, CostModel model) {
        if (!supports(spec)) {
            return null;
        }
        Tile best = null;
        double bestCost = 1;
        for (Tile tile : TILES) {
            double cost = model.relativeCost(spec, tile, n, h, w);
            if (cost < bestCost) {
                best = tile;
                bestCost = cost;
            }
        }
        return best;
    }

    /** {@code U[ξ][k][c] = (G g Gᵀ)[ξ]} for each output channel k and input channel c. */
    static float[] transformWeights(Tile tile, Tensor weight, ConvSpec spec) {
        float[] u = new float[tile.a * tile.a * spec.outChannels() * spec.inChannels()];
        transformWeights(tile, weight.data(), spec.outChannels(), spec.inChannels(), u, 0, spec.outChannels());
        return u;
    }

    /** {@code U[ξ][ko][ci] = (G g Gᵀ)[ξ]} for output channels {@code [k0, k1)} of {@code w} ({@code [k][c][3][3]}). */
    static void transformWeights(Tile tile, float[] w, int k, int c, float[] u, int k0, int k1) {
        int a = tile.a;
        float[][] g = tile.g;
        for (int ko = k0; ko < k1; ko++) {
            for (int ci = 0; ci < c; ci++) {
                int base = (ko * c + ci) * 9;
                for (int i = 0; i < a; i++) {
                    // Row i of G g (a×3), then its products with G's rows: (G g Gᵀ)[i][j].
                    double r0 = 0, r1 = 0, r2 = 0;
                    for (int t = 0; t < 3; t++) {
                        double gt = g[i][t];
                        r0 += gt * w[base + t * 3];
                        r1 += gt * w[base + t * 3 + 1];
                        r2 += gt * w[base + t * 3 + 2];
                    }
                    for (int j = 0; j < a; j++) {
                        u[((i * a + j) * k + ko) * c + ci] = (float) (r0 * g[j][0] + r1 * g[j][1] + r2 * g[j][2]);
                    }
                }
            }
        }
    }

    /**
     * One side of a transform on a vector of tiles: reads {@code a} vectors {@code v[i]} from {@code src} (at
     * {@code srcOff + i·srcStride}) and writes {@code clamp(Σ_i coef[r][i]·v[i] + add, lo, hi)}, {@code add} the
     * vector at {@code addLanes[addOff]}, for each of the first {@code rows} rows of {@code coef} to {@code dst} (at
     * {@code dstOff + r·dstStride}); 2 inputs (F(2×2)'s A, in the weight gradient), 4 or 6. Written out for each
     * count, without loops over vectors and in this one method: C2 on JDK 17 boxes a vector that a loop carries,
     * and inside a training step it left the Vector API calls of a helper one call deeper un-inlined (see
     * docs/jvm-notes.md). The added vector is loaded here, not passed in: a vector argument is boxed whenever C2
     * leaves the call un-inlined (66 MB per SegNet pass once the blocked form's transforms were one call deeper).
     * The clamp, needed only for an activation fused into inference's output, is a pass of its own over the rows
     * just written: chained onto the sums, its max and min were left un-inlined in training steps, boxing every
     * vector (25 GiB per SegNet step), even where the bounds were infinite.
     */
    static void combine(int a, float[][] coef, int rows, float[] src, int srcOff, int srcStride,
                        float[] dst, int dstOff, int dstStride, float[] addLanes, int addOff, float lo, float hi) {
        FloatVector add = FloatVector.fromArray(S, addLanes, addOff);
        FloatVector v0 = FloatVector.fromArray(S, src, srcOff);
        FloatVector v1 = FloatVector.fromArray(S, src, srcOff + srcStride);
        if (a == 2) {
            for (int r = 0; r < rows; r++) {
                float[] c = coef[r];
                v0.mul(c[0]).add(add).add(v1.mul(c[1])).intoArray(dst, dstOff + r * dstStride);
            }
        } else {
            FloatVector v2 = FloatVector.fromArray(S, src, srcOff + 2 * srcStride);
            FloatVector v3 = FloatVector.fromArray(S, src, srcOff + 3 * srcStride);
            if (a == 4) {
                for (int r = 0; r < rows; r++) {
                    float[] c = coef[r];
                    v0.mul(c[0]).add(add).add(v1.mul(c[1])).add(v2.mul(c[2]).add(v3.mul(c[3])))
                            .intoArray(dst, dstOff + r * dstStride);
                }
            } else {
                FloatVector v4 = FloatVector.fromArray(S, src, srcOff + 4 * srcStride);
                FloatVector v5 = FloatVector.fromArray(S, src, srcOff + 5 * srcStride);
                for (int r = 0; r < rows; r++) {
                    float[] c = coef[r];
                    v0.mul(c[0]).add(add).add(v1.mul(c[1]).add(v2.mul(c[2])))
                            .add(v3.mul(c[3]).add(v4.mul(c[4])).add(v5.mul(c[5]))).intoArray(dst, dstOff + r * dstStride);
                }
            }
        }
        if (lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY) {
            clamp(rows, dst, dstOff, dstStride, lo, hi);
        }
    }

    private static void clamp(int rows, float[] dst, int dstOff, int dstStride, float lo, float hi) {
        for (int r = 0; r < rows; r++) {
            int at = dstOff + r * dstStride;
            FloatVector.fromArray(S, dst, at).max(lo).min(hi).intoArray(dst, at);
        }
    }

    private static void requireShape(String name, Tensor t, int... shape) {
        OpChecks.present("winograd conv", name, t);
        if (!t.hasShape(shape)) {
            throw OpChecks.fail("winograd conv", name + " has shape " + t.shapeString() + ", expected "
                    + Tensor.shapeString(shape));
        }
    }

    static int roundUp(int v, int multiple) {
        return (v + multiple - 1) / multiple * multiple;
    }
}
