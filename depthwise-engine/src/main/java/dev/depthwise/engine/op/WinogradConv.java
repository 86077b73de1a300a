package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd convolution F(m×m, 3×3) for dense 3×3 convs at stride 1 (NCHW, inference): each m×m output tile
 * costs (m+2)² multiplications per input and output channel instead of 9m², 2.25× fewer for F(4×4, 3×3)
 * and 1.78× for F(2×2, 3×3). The weights are transformed once, when the op is prepared; a run then
 * <ol>
 *   <li>transforms the input tiles, {@code V = Bᵀ d B}, into (m+2)² matrices of [input channels × tiles],</li>
 *   <li>multiplies each by its transformed weights, {@code M[ξ] = U[ξ] · V[ξ]} ((m+2)² GEMMs of
 *       [output channels × input channels] by [input channels × tiles]),</li>
 *   <li>transforms back, {@code Y = Aᵀ M A}, adds the bias and applies the activation.</li>
 * </ol>
 * The transforms are built by Toom-Cook from interpolation points, as in Lavin and Gray ("Fast Algorithms for
 * Convolutional Neural Networks", 2016); {@code WinogradConvTest} measures their float32 error against the
 * definition.
 *
 * <p>Tiles are processed in chunks of whole tile rows of one image, a chunk per task. Within a chunk the tiles
 * are the vector lanes: each input row is first split into its m phases (columns m·j + r), so that the patch
 * element (i, j) of consecutive tiles is contiguous, and both transforms run on whole vectors of tiles. Each
 * tile row carries one spare lane (tile {@code tilesW}), so lane t + 1 is always the right neighbour; the spare
 * lanes' results are never written out.
 */
public final class WinogradConv extends PreparedLoop {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final FloatVector ZERO = FloatVector.zero(S);
    /** Tiles aimed for per chunk: enough columns for the GEMMs' register tiles, few enough to keep V and M near L2. */
    private static final int CHUNK_TILES = 96;

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
        /** Bᵀ (a×a), G (a×3), Aᵀ (m×a). */
        final float[][] bt;
        final float[][] g;
        final float[][] at;

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

    private final ConvSpec spec;
    private final Tile tile;
    private final Tensor x;
    private final Tensor out;
    private final float[] u;
    private final float[] bias;
    private final float lo;
    private final float hi;
    private final int c;
    private final int k;
    private final int inH;
    private final int inW;
    private final int outH;
    private final int outW;
    private final int tilesH;
    private final int tilesW;
    /** Lanes per tile row: tilesW plus the spare one. */
    private final int stride;
    private final int rowsPerChunk;
    private final int chunksPerImage;
    /** Columns of a chunk's V and M rows: its lanes rounded up to whole vectors. */
    private final int columns;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffers, grown to the largest op a thread has run and then reused. */
    private static final class Scratch {
        float[] phases = new float[0];
        float[] v = new float[0];
        float[] mm = new float[0];
        float[] tmp = new float[0];
        float[] y = new float[0];
    }

    /** {@code a}, or a new array when {@code a} is shorter than {@code n}: per-thread scratch grows, then is reused. */
    static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }

    private WinogradConv(ConvSpec spec, Tile tile, Tensor x, Tensor out, float[] u, float[] bias,
                         Activation activation, Tiling tiling) {
        super(x.n() * tiling.chunks, 1);
        this.spec = spec;
        this.tile = tile;
        this.x = x;
        this.out = out;
        this.u = u;
        this.bias = bias;
        this.lo = activation.lo;
        this.hi = activation.hi;
        this.c = spec.inChannels();
        this.k = spec.outChannels();
        this.inH = x.h();
        this.inW = x.w();
        this.outH = out.h();
        this.outW = out.w();
        this.tilesH = tiling.tilesH;
        this.tilesW = tiling.tilesW;
        this.stride = tilesW + 1;
        this.rowsPerChunk = tiling.rowsPerChunk;
        this.chunksPerImage = tiling.chunks;
        this.columns = roundUp(rowsPerChunk * stride, L);
    }

    /** How an output plane is cut: tiles, tile rows per chunk (a task), chunks per image. */
    private record Tiling(int tilesH, int tilesW, int rowsPerChunk, int chunks) {
        static Tiling of(Tile tile, int outH, int outW) {
            int tilesH = (outH + tile.m - 1) / tile.m;
            int tilesW = (outW + tile.m - 1) / tile.m;
            int rowsPerChunk = Math.max(1, Math.min(tilesH, Math.round((float) CHUNK_TILES / (tilesW + 1))));
            return new Tiling(tilesH, tilesW, rowsPerChunk, (tilesH + rowsPerChunk - 1) / rowsPerChunk);
        }

        /** GEMM columns of a full chunk: its tiles and one spare lane per tile row. */
        int lanesPerChunk() {
            return rowsPerChunk * (tilesW + 1);
        }
    }

    /** Dense (one group), 3×3, stride 1, no dilation: the convs this op computes. Any padding. */
    public static boolean supports(ConvSpec s) {
        return s.groups() == 1 && s.kernelH() == 3 && s.kernelW() == 3 && s.strideH() == 1 && s.strideW() == 1
                && s.dilationH() == 1 && s.dilationW() == 1;
    }

    /**
     * Binds the op to its tensors and transforms the weights ({@code [out, in, 3, 3]}) once. {@code bias} may be
     * null. Each {@link #run} then writes {@code activation(conv(x) + bias)} into {@code out}.
     */
    public static WinogradConv prepare(ConvSpec spec, Tile tile, Tensor x, Tensor weight, Tensor bias, Tensor out,
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
        return new WinogradConv(spec, tile, x, out, transformWeights(tile, weight, spec),
                bias == null ? new float[spec.outChannels()] : java.util.Arrays.copyOf(bias.data(), spec.outChannels()),
                activation, Tiling.of(tile, outShape[2], outShape[3]));
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
        Tiling tiling = Tiling.of(tile, outH, outW);
        double lanes = (double) n * tiling.tilesH * (tiling.tilesW + 1);
        int perChunk = tiling.lanesPerChunk();
        double gemmEfficiency = (double) perChunk / roundUp(perChunk, Gemm.NR);
        double c = spec.inChannels();
        double k = spec.outChannels();
        return estimate(tile, spec, lanes, gemmEfficiency, (double) n * tiling.chunks) / (9.0 * c * k * n * outH * outW);
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
        return cheapest(spec, tile -> relativeCost(spec, tile, n, h, w));
    }

    /** The tile of least relative cost below 1 (direct convolution's), or null; null too for a conv not supported. */
    static Tile cheapest(ConvSpec spec, java.util.function.ToDoubleFunction<Tile> relativeCost) {
        if (!supports(spec)) {
            return null;
        }
        Tile best = null;
        double bestCost = 1;
        for (Tile tile : Tile.values()) {
            double cost = relativeCost.applyAsDouble(tile);
            if (cost < bestCost) {
                best = tile;
                bestCost = cost;
            }
        }
        return best;
    }

    /** {@code U[ξ][k][c] = (G g Gᵀ)[ξ]} for each output channel k and input channel c. */
    static float[] transformWeights(Tile tile, Tensor weight, ConvSpec spec) {
        int a = tile.a;
        int k = spec.outChannels();
        int c = spec.inChannels();
        float[] w = weight.data();
        float[] u = new float[a * a * k * c];
        double[] gg = new double[a * 3];
        for (int ko = 0; ko < k; ko++) {
            for (int ci = 0; ci < c; ci++) {
                int base = (ko * c + ci) * 9;
                for (int i = 0; i < a; i++) { // G g: a×3
                    for (int j = 0; j < 3; j++) {
                        double s = 0;
                        for (int t = 0; t < 3; t++) {
                            s += (double) tile.g[i][t] * w[base + t * 3 + j];
                        }
                        gg[i * 3 + j] = s;
                    }
                }
                for (int i = 0; i < a; i++) { // (G g) Gᵀ: a×a
                    for (int j = 0; j < a; j++) {
                        double s = 0;
                        for (int t = 0; t < 3; t++) {
                            s += gg[i * 3 + t] * tile.g[j][t];
                        }
                        u[((i * a + j) * k + ko) * c + ci] = (float) s;
                    }
                }
            }
        }
        return u;
    }

    @Override
    public void run(int from, int to) {
        Scratch s = SCRATCH.get();
        int a = tile.a;
        int m = tile.m;
        int phaseLength = columns + L; // a read at lane t + 1 of the last vector stays inside
        s.phases = grow(s.phases, a * m * phaseLength);
        s.v = grow(s.v, a * a * c * columns);
        s.mm = grow(s.mm, a * a * k * columns);
        s.tmp = grow(s.tmp, a * a * L);
        s.y = grow(s.y, m * m * columns);
        for (int chunk = from; chunk < to; chunk++) {
            int n = chunk / chunksPerImage;
            int firstRow = chunk % chunksPerImage * rowsPerChunk;
            int rows = Math.min(rowsPerChunk, tilesH - firstRow);
            int lanes = rows * stride;
            for (int ci = 0; ci < c; ci++) {
                splitPhases(s.phases, phaseLength, n, ci, firstRow, rows);
                transformInput(s, phaseLength, ci);
            }
            for (int xi = 0; xi < a * a; xi++) {
                Gemm.matmul(false, false, k, lanes, c, u, xi * k * c, c, s.v, xi * c * columns, columns,
                        s.mm, xi * k * columns, columns, false);
            }
            for (int ko = 0; ko < k; ko++) {
                transformOutput(s, ko);
                writeOutput(s.y, n, ko, firstRow, rows);
            }
        }
    }

    /**
     * Fills {@code phases[(i·m + r)·phaseLength + row·stride + j]} with input pixel (row of the chunk's tile row
     * {@code row} + i, column m·j + r), both counted from the padded corner, zero outside the input.
     */
    private void splitPhases(float[] phases, int phaseLength, int n, int ci, int firstRow, int rows) {
        int a = tile.a;
        int m = tile.m;
        float[] xd = x.data();
        int plane = (n * c + ci) * inH * inW;
        for (int i = 0; i < a; i++) {
            for (int r = 0; r < m; r++) {
                int dst = (i * m + r) * phaseLength;
                java.util.Arrays.fill(phases, dst + rows * stride, dst + phaseLength, 0f);
                for (int row = 0; row < rows; row++) {
                    int iy = (firstRow + row) * m + i - spec.padH();
                    int d = dst + row * stride;
                    if (iy < 0 || iy >= inH) {
                        java.util.Arrays.fill(phases, d, d + stride, 0f);
                        continue;
                    }
                    int src = plane + iy * inW;
                    for (int j = 0, ix = r - spec.padW(); j < stride; j++, ix += m) {
                        phases[d + j] = ix >= 0 && ix < inW ? xd[src + ix] : 0f;
                    }
                }
            }
        }
    }

    /** {@code V[ξ][ci][lanes] = (Bᵀ d B)[ξ]}, a vector of tiles at a time. */
    private void transformInput(Scratch s, int phaseLength, int ci) {
        int a = tile.a;
        int m = tile.m;
        for (int t = 0; t < columns; t += L) {
            // Columns first: tmp[p][j] = Σ_i Bᵀ[p][i] d[i][j], where d[i][j] is phase (j mod m) of row i, lane + j/m.
            for (int j = 0; j < a; j++) {
                combine(a, tile.bt, a, s.phases, (j % m) * phaseLength + t + j / m, m * phaseLength, s.tmp, j * L,
                        a * L, ZERO, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            }
            // Then rows: V[p][q] = Σ_j tmp[p][j] Bᵀ[q][j].
            for (int p = 0; p < a; p++) {
                combine(a, tile.bt, a, s.tmp, p * a * L, L, s.v, (p * a * c + ci) * columns + t, c * columns,
                        ZERO, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            }
        }
    }

    /** {@code y[yy][xx][lanes] = activation((Aᵀ M A)[yy][xx] + bias)} for output channel {@code ko}. */
    private void transformOutput(Scratch s, int ko) {
        int a = tile.a;
        int m = tile.m;
        for (int t = 0; t < columns; t += L) {
            for (int q = 0; q < a; q++) {
                combine(a, tile.at, m, s.mm, (q * k + ko) * columns + t, a * k * columns, s.tmp, q * L, a * L,
                        ZERO, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            }
            for (int p = 0; p < m; p++) {
                combine(a, tile.at, m, s.tmp, p * a * L, L, s.y, p * m * columns + t, columns,
                        FloatVector.broadcast(S, bias[ko]), lo, hi);
            }
        }
    }

    /**
     * One side of a transform on a vector of tiles: reads {@code a} vectors {@code v[i]} from {@code src} (at
     * {@code srcOff + i·srcStride}) and writes {@code clamp(Σ_i coef[r][i]·v[i] + add, lo, hi)} for each of the
     * first {@code rows} rows of {@code coef} to {@code dst} (at {@code dstOff + r·dstStride}). Written out for 4
     * and 6 points, without loops over vectors: C2 on JDK 17 boxes a vector that a loop carries (see
     * docs/jvm-notes.md), and a first version with such loops ran below a third of the speed of its GEMMs.
     */
    static void combine(int a, float[][] coef, int rows, float[] src, int srcOff, int srcStride,
                        float[] dst, int dstOff, int dstStride, FloatVector add, float lo, float hi) {
        FloatVector v0 = FloatVector.fromArray(S, src, srcOff);
        FloatVector v1 = FloatVector.fromArray(S, src, srcOff + srcStride);
        FloatVector v2 = FloatVector.fromArray(S, src, srcOff + 2 * srcStride);
        FloatVector v3 = FloatVector.fromArray(S, src, srcOff + 3 * srcStride);
        if (a == 4) {
            for (int r = 0; r < rows; r++) {
                float[] c = coef[r];
                v0.mul(c[0]).add(add).add(v1.mul(c[1])).add(v2.mul(c[2]).add(v3.mul(c[3]))).max(lo).min(hi)
                        .intoArray(dst, dstOff + r * dstStride);
            }
            return;
        }
        FloatVector v4 = FloatVector.fromArray(S, src, srcOff + 4 * srcStride);
        FloatVector v5 = FloatVector.fromArray(S, src, srcOff + 5 * srcStride);
        for (int r = 0; r < rows; r++) {
            float[] c = coef[r];
            v0.mul(c[0]).add(add).add(v1.mul(c[1]).add(v2.mul(c[2]))).add(v3.mul(c[3]).add(v4.mul(c[4])).add(v5.mul(c[5])))
                    .max(lo).min(hi).intoArray(dst, dstOff + r * dstStride);
        }
    }

    /** Interleaves the tiles of {@code y} back into output rows, dropping pixels past the output's edge. */
    private void writeOutput(float[] y, int n, int ko, int firstRow, int rows) {
        int m = tile.m;
        float[] od = out.data();
        int plane = (n * k + ko) * outH * outW;
        for (int row = 0; row < rows; row++) {
            for (int p = 0; p < m; p++) {
                int oy = (firstRow + row) * m + p;
                if (oy >= outH) {
                    break;
                }
                int dst = plane + oy * outW;
                for (int ox = 0; ox < outW; ox++) {
                    od[dst + ox] = y[(p * m + ox % m) * columns + row * stride + ox / m];
                }
            }
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
