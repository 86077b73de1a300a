package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
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
 *
 * <p>Training ({@link ConvOp} with a {@link WinogradPolicy}) runs the same chunks with the weights transformed on
 * each call, as they change every step ({@link #forward}); the input gradient of a stride-1 conv is a conv of
 * gradOut with the flipped, transposed weights, so it is a forward too. The weight gradient is the forward's
 * adjoint ({@link #accumulateWeightGradient}): with {@code M = U ⊙ V} per tile and {@code Y = Aᵀ M A}, the
 * gradient of {@code U} is {@code (A dY Aᵀ) ⊙ V} summed over tiles and images, (m+2)² GEMMs of [output channels ×
 * tiles] by [tiles × input channels], and that of the 3×3 weights {@code Gᵀ dU G}, once per channel pair.
 */
public final class WinogradConv implements Runnable, Parallel.RangeBody {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** What {@link #combine} adds where it adds nothing: one vector of zeros. */
    static final float[] NO_ADD = new float[L];
    /** Tiles aimed for per chunk: enough columns for the GEMMs' register tiles, few enough to keep V and M near L2. */
    private static final int CHUNK_TILES = 96;
    /**
     * Tiles aimed for per chunk of the weight gradient: the tiles are its GEMMs' k, and each chunk reads and writes
     * back the (m+2)²·K·C gradient of U, so chunks are longer than the forward's.
     */
    private static final int WEIGHT_GRADIENT_TILES = 256;

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

    /** What {@link #run(int, int)} does with its range: the forward's chunks, or a step of training's passes. */
    private enum Phase { FORWARD, TRANSFORM_WEIGHTS, WEIGHT_GRADIENT, REDUCE_WEIGHT_GRADIENT }

    // What the op is bound to: once for a prepared (inference) op, on every call for training's per-thread one.
    private Phase phase;
    private ConvSpec spec;
    private Tile tile;
    private float[] x;
    /** The output; gradOut for the weight gradient. */
    private float[] out;
    /** U[ξ][k][c], the transformed weights. */
    private float[] u;
    /** The 3×3 weights {@link Phase#TRANSFORM_WEIGHTS} reads; the weight gradient {@link Phase#REDUCE_WEIGHT_GRADIENT} adds to. */
    private float[] w;
    /** Per output channel, or null for none. */
    private float[] bias;
    private float lo;
    private float hi;
    private int n;
    private int c;
    private int k;
    private int inH;
    private int inW;
    private int outH;
    private int outW;
    private int tilesH;
    private int tilesW;
    /** Lanes per tile row: tilesW plus the spare one. */
    private int stride;
    private int rowsPerChunk;
    private int chunksPerImage;
    /** Columns of a chunk's V and M rows: its lanes rounded up to whole vectors. */
    private int columns;
    /** The weight gradient's partial sums of dU, one per part of the batch, each [ξ][k][c]. */
    private float[][] partials;
    private int parts;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** Training's op, bound afresh on each call, and its transformed weights, per calling thread. */
    private static final ThreadLocal<WinogradConv> TRAINING = ThreadLocal.withInitial(WinogradConv::new);
    private static final ThreadLocal<float[][]> TRAINING_WEIGHTS = ThreadLocal.withInitial(() -> new float[1][0]);

    /** Per-thread buffers, grown to the largest op a thread has run and then reused. */
    private static final class Scratch {
        float[] phases = new float[0];
        float[] v = new float[0];
        float[] mm = new float[0];
        float[] tmp = new float[0];
        float[] y = new float[0];
        /** The bias of the output channel being transformed, in every lane. */
        final float[] biasLanes = new float[L];
        /** dU of one channel pair, summed over the partitions. */
        final double[] du = new double[36];
    }

    /** {@code a}, or a new array when {@code a} is shorter than {@code n}: per-thread scratch grows, then is reused. */
    static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }

    private WinogradConv() {
    }

    private WinogradConv bind(ConvSpec spec, Tile tile, int n, int inH, int inW, float[] x, float[] out, float[] u,
                              float[] bias, Activation activation, int chunkTiles) {
        Tiling tiling = Tiling.of(tile, spec.outputHeight(inH), spec.outputWidth(inW), chunkTiles);
        this.phase = Phase.FORWARD;
        this.spec = spec;
        this.tile = tile;
        this.x = x;
        this.out = out;
        this.u = u;
        this.bias = bias;
        this.lo = activation.lo;
        this.hi = activation.hi;
        this.n = n;
        this.c = spec.inChannels();
        this.k = spec.outChannels();
        this.inH = inH;
        this.inW = inW;
        this.outH = spec.outputHeight(inH);
        this.outW = spec.outputWidth(inW);
        this.tilesH = tiling.tilesH;
        this.tilesW = tiling.tilesW;
        this.stride = tilesW + 1;
        this.rowsPerChunk = tiling.rowsPerChunk;
        this.chunksPerImage = tiling.chunks;
        this.columns = roundUp(rowsPerChunk * stride, L);
        return this;
    }

    /** Drops the arrays of training's op, so an idle thread keeps no tensor alive. */
    private void release() {
        x = out = u = w = bias = null;
        partials = null;
    }

    /** How an output plane is cut: tiles, tile rows per chunk (a task), chunks per image. */
    private record Tiling(int tilesH, int tilesW, int rowsPerChunk, int chunks) {
        static Tiling of(Tile tile, int outH, int outW, int chunkTiles) {
            int tilesH = (outH + tile.m - 1) / tile.m;
            int tilesW = (outW + tile.m - 1) / tile.m;
            int rowsPerChunk = Math.max(1, Math.min(tilesH, Math.round((float) chunkTiles / (tilesW + 1))));
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
        return new WinogradConv().bind(spec, tile, x.n(), x.h(), x.w(), x.data(), out.data(),
                transformWeights(tile, weight, spec),
                bias == null ? null : java.util.Arrays.copyOf(bias.data(), spec.outChannels()), activation,
                CHUNK_TILES);
    }

    /** Runs the prepared op: writes {@code activation(conv(x) + bias)} into its output. */
    @Override
    public void run() {
        Parallel.forRange(n * chunksPerImage, 1, this);
    }

    /**
     * Training's forward, on NCHW arrays: {@code out = conv(x, w) + bias} ({@code bias} may be null) for an
     * {@code n×C×inH×inW} input. The weights are transformed on this call, into the calling thread's scratch; nothing
     * is allocated once the scratch has grown. The caller has checked the shapes.
     */
    static void forward(ConvSpec spec, Tile tile, int n, int inH, int inW, float[] x, float[] w, float[] bias,
                        float[] out) {
        int size = tile.a * tile.a * spec.outChannels() * spec.inChannels();
        float[][] held = TRAINING_WEIGHTS.get();
        if (held[0].length < size) {
            held[0] = new float[size];
        }
        WinogradConv op = TRAINING.get().bind(spec, tile, n, inH, inW, x, out, held[0], bias, Activation.NONE,
                CHUNK_TILES);
        op.w = w;
        try {
            op.phase = Phase.TRANSFORM_WEIGHTS;
            Parallel.forRange(op.k, Math.max(1, 2048 / op.c), op);
            op.phase = Phase.FORWARD;
            Parallel.forRange(n * op.chunksPerImage, 1, op);
        } finally {
            op.release();
        }
    }

    /**
     * Adds the weight gradient of {@link #forward} for gradOut {@code g} to {@code gradW}, computed in the Winograd
     * domain (see the class comment). The batch is cut into one part per thread (at most one per image), each summed
     * into its own partial dU in a fixed order, and the parts added in order: the same result for a given thread
     * count, whatever ran where.
     */
    static void accumulateWeightGradient(ConvSpec spec, Tile tile, int n, int inH, int inW, float[] x, float[] g,
                                         float[] gradW) {
        WinogradConv op = TRAINING.get().bind(spec, tile, n, inH, inW, x, g, null, null, Activation.NONE,
                WEIGHT_GRADIENT_TILES);
        op.w = gradW;
        op.parts = Math.max(1, Math.min(Parallel.threads(), n));
        op.partials = ConvWeightGradient.partials(op.parts, tile.a * tile.a * op.k * op.c); // shared with direct convolution's
        try {
            op.phase = Phase.WEIGHT_GRADIENT;
            Parallel.forRange(op.parts, 1, op);
            op.phase = Phase.REDUCE_WEIGHT_GRADIENT;
            Parallel.forRange(op.k, Math.max(1, 1024 / op.c), op);
        } finally {
            op.release();
        }
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
        Tiling tiling = Tiling.of(tile, outH, outW, CHUNK_TILES);
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
        float[] u = new float[tile.a * tile.a * spec.outChannels() * spec.inChannels()];
        transformWeights(tile, weight.data(), spec.outChannels(), spec.inChannels(), u, 0, spec.outChannels());
        return u;
    }

    /** {@code U[ξ][ko][ci] = (G g Gᵀ)[ξ]} for output channels {@code [k0, k1)} of {@code w} ({@code [k][c][3][3]}). */
    private static void transformWeights(Tile tile, float[] w, int k, int c, float[] u, int k0, int k1) {
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
     * {@code gradW[ko][ci] += Gᵀ dU G} for output channels {@code [k0, k1)}, dU being the sum of the partitions'
     * partial sums, taken in partition order.
     */
    private void reduceWeightGradient(Scratch s, int k0, int k1) {
        int a = tile.a;
        float[][] g = tile.g;
        double[] du = s.du;
        for (int ko = k0; ko < k1; ko++) {
            for (int ci = 0; ci < c; ci++) {
                for (int xi = 0; xi < a * a; xi++) {
                    int at = (xi * k + ko) * c + ci;
                    float sum = 0;
                    for (int p = 0; p < parts; p++) {
                        sum += partials[p][at];
                    }
                    du[xi] = sum;
                }
                int base = (ko * c + ci) * 9;
                for (int t = 0; t < 3; t++) {
                    for (int q = 0; q < 3; q++) {
                        double sum = 0;
                        for (int i = 0; i < a; i++) {
                            double row = 0;
                            for (int j = 0; j < a; j++) {
                                row += du[i * a + j] * g[j][q];
                            }
                            sum += g[i][t] * row;
                        }
                        w[base + t * 3 + q] += (float) sum;
                    }
                }
            }
        }
    }

    @Override
    public void run(int from, int to) {
        Scratch s = SCRATCH.get();
        switch (phase) {
            case TRANSFORM_WEIGHTS -> transformWeights(tile, w, k, c, u, from, to);
            case FORWARD -> forwardChunks(s, from, to);
            case WEIGHT_GRADIENT -> {
                for (int part = from; part < to; part++) {
                    weightGradientOfImages(s, partials[part], part * n / parts, (part + 1) * n / parts);
                }
            }
            case REDUCE_WEIGHT_GRADIENT -> reduceWeightGradient(s, from, to);
        }
    }

    private void growScratch(Scratch s) {
        int a = tile.a;
        int m = tile.m;
        s.phases = grow(s.phases, a * m * (columns + L));
        s.v = grow(s.v, a * a * c * columns);
        s.mm = grow(s.mm, a * a * k * columns);
        s.tmp = grow(s.tmp, a * a * L);
        s.y = grow(s.y, m * m * columns);
    }

    private void forwardChunks(Scratch s, int from, int to) {
        growScratch(s);
        int a = tile.a;
        int phaseLength = columns + L; // a read at lane t + 1 of the last vector stays inside
        for (int chunk = from; chunk < to; chunk++) {
            int img = chunk / chunksPerImage;
            int firstRow = chunk % chunksPerImage * rowsPerChunk;
            int rows = Math.min(rowsPerChunk, tilesH - firstRow);
            int lanes = rows * stride;
            for (int ci = 0; ci < c; ci++) {
                splitPhases(s.phases, phaseLength, img, ci, firstRow, rows);
                transformInput(s, phaseLength, ci);
            }
            for (int xi = 0; xi < a * a; xi++) {
                Gemm.matmul(false, false, k, lanes, c, u, xi * k * c, c, s.v, xi * c * columns, columns,
                        s.mm, xi * k * columns, columns, false);
            }
            for (int ko = 0; ko < k; ko++) {
                transformOutput(s, ko);
                writeOutput(s.y, img, ko, firstRow, rows);
            }
        }
    }

    /**
     * Adds images {@code [fromImg, toImg)}'s dU to {@code partial} ([ξ][k][c]), chunk by chunk in order: V from the
     * input as in the forward, {@code A dY Aᵀ} from gradOut, then {@code dU[ξ] += (A dY Aᵀ)[ξ] · V[ξ]ᵀ}.
     */
    private void weightGradientOfImages(Scratch s, float[] partial, int fromImg, int toImg) {
        growScratch(s);
        int a = tile.a;
        int phaseLength = columns + L;
        java.util.Arrays.fill(partial, 0, a * a * k * c, 0f);
        for (int img = fromImg; img < toImg; img++) {
            for (int firstRow = 0; firstRow < tilesH; firstRow += rowsPerChunk) {
                int rows = Math.min(rowsPerChunk, tilesH - firstRow);
                int lanes = rows * stride;
                for (int ci = 0; ci < c; ci++) {
                    splitPhases(s.phases, phaseLength, img, ci, firstRow, rows);
                    transformInput(s, phaseLength, ci);
                }
                for (int ko = 0; ko < k; ko++) {
                    gatherGradient(s.y, img, ko, firstRow, rows);
                    transformGradient(s, ko);
                }
                for (int xi = 0; xi < a * a; xi++) {
                    Gemm.matmul(false, true, k, c, lanes, s.mm, xi * k * columns, columns, s.v, xi * c * columns,
                            columns, partial, xi * k * c, c, true);
                }
            }
        }
    }

    /**
     * Fills {@code phases[(i·m + r)·phaseLength + row·stride + j]} with input pixel (row of the chunk's tile row
     * {@code row} + i, column m·j + r), both counted from the padded corner, zero outside the input.
     */
    private void splitPhases(float[] phases, int phaseLength, int img, int ci, int firstRow, int rows) {
        int a = tile.a;
        int m = tile.m;
        float[] xd = x;
        int plane = (img * c + ci) * inH * inW;
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
                        a * L, NO_ADD, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            }
            // Then rows: V[p][q] = Σ_j tmp[p][j] Bᵀ[q][j].
            for (int p = 0; p < a; p++) {
                combine(a, tile.bt, a, s.tmp, p * a * L, L, s.v, (p * a * c + ci) * columns + t, c * columns,
                        NO_ADD, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            }
        }
    }

    /** {@code y[yy][xx][lanes] = activation((Aᵀ M A)[yy][xx] + bias)} for output channel {@code ko}. */
    private void transformOutput(Scratch s, int ko) {
        int a = tile.a;
        int m = tile.m;
        java.util.Arrays.fill(s.biasLanes, bias == null ? 0f : bias[ko]);
        for (int t = 0; t < columns; t += L) {
            for (int q = 0; q < a; q++) {
                combine(a, tile.at, m, s.mm, (q * k + ko) * columns + t, a * k * columns, s.tmp, q * L, a * L,
                        NO_ADD, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            }
            for (int p = 0; p < m; p++) {
                combine(a, tile.at, m, s.tmp, p * a * L, L, s.y, p * m * columns + t, columns, s.biasLanes, 0, lo, hi);
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

    /** Interleaves the tiles of {@code y} back into output rows, dropping pixels past the output's edge. */
    private void writeOutput(float[] y, int img, int ko, int firstRow, int rows) {
        int m = tile.m;
        float[] od = out;
        int plane = (img * k + ko) * outH * outW;
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

    /**
     * The adjoint of {@link #writeOutput}: {@code y[(p·m + q)·columns + row·stride + j]} = gradOut pixel (row p of
     * tile row {@code row}, column m·j + q) of output channel {@code ko}, zero past the output's edge, in the spare
     * lanes and past the chunk's lanes (the forward dropped those outputs: they have no gradient).
     */
    private void gatherGradient(float[] y, int img, int ko, int firstRow, int rows) {
        int m = tile.m;
        float[] g = out;
        int plane = (img * k + ko) * outH * outW;
        for (int pq = 0; pq < m * m; pq++) {
            java.util.Arrays.fill(y, pq * columns + rows * stride, (pq + 1) * columns, 0f);
        }
        for (int row = 0; row < rows; row++) {
            for (int p = 0; p < m; p++) {
                int oy = (firstRow + row) * m + p;
                int lane = row * stride;
                if (oy >= outH) {
                    for (int q = 0; q < m; q++) {
                        java.util.Arrays.fill(y, (p * m + q) * columns + lane, (p * m + q) * columns + lane + stride, 0f);
                    }
                    continue;
                }
                int src = plane + oy * outW;
                for (int ox = 0; ox < stride * m; ox++) {
                    y[(p * m + ox % m) * columns + lane + ox / m] = ox < outW ? g[src + ox] : 0f;
                }
            }
        }
    }

    /** {@code M[ξ][ko][lanes] = (A dY Aᵀ)[ξ]}, the adjoint of {@link #transformOutput}, a vector of tiles at a time. */
    private void transformGradient(Scratch s, int ko) {
        int a = tile.a;
        int m = tile.m;
        for (int t = 0; t < columns; t += L) {
            // Columns first: tmp[i][q] = Σ_p A[i][p] dY[p][q].
            for (int q = 0; q < m; q++) {
                combine(m, tile.aMat, a, s.y, q * columns + t, m * columns, s.tmp, q * L, m * L,
                        NO_ADD, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            }
            // Then rows: M[i][j] = Σ_q tmp[i][q] A[j][q].
            for (int i = 0; i < a; i++) {
                combine(m, tile.aMat, a, s.tmp, i * m * L, L, s.mm, (i * a * k + ko) * columns + t, k * columns,
                        NO_ADD, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
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
