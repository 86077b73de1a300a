package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.op.WinogradConv.Tile;

/**
 * {@link WinogradConv} on NCHW tensors: training's forward and input gradient (through {@link ConvOp}), its weight
 * gradient, and the op {@link WinogradConv#prepare} binds. The weights are transformed once for a prepared op, and
 * on every call in training, as they change every step ({@link #forward}); the input gradient of a stride-1 conv is
 * a conv of gradOut with the flipped, transposed weights, so it is a forward too. The weight gradient is the
 * forward's adjoint ({@link #accumulateWeightGradient}): with {@code M = U ⊙ V} per tile and {@code Y = Aᵀ M A}, the
 * gradient of {@code U} is {@code (A dY Aᵀ) ⊙ V} summed over tiles and images, (m+2)² GEMMs of [output channels ×
 * tiles] by [tiles × input channels], and that of the 3×3 weights {@code Gᵀ dU G}, once per channel pair.
 *
 * <p>Tiles are processed in chunks of whole tile rows of one image, a chunk per task. Within a chunk the tiles
 * are the vector lanes: each input row is first split into its m phases (columns m·j + r), so that the patch
 * element (i, j) of consecutive tiles is contiguous, and both transforms run on whole vectors of tiles. Each
 * tile row carries one spare lane (tile {@code tilesW}), so lane t + 1 is always the right neighbour; the spare
 * lanes' results are never written out.
 */
public final class NchwWinogradConv implements Runnable, Parallel.RangeBody {
    private static final int L = WinogradConv.S.length();
    /** Tiles aimed for per chunk: enough columns for the GEMMs' register tiles, few enough to keep V and M near L2. */
    static final int CHUNK_TILES = 96;
    /**
     * Tiles aimed for per chunk of the weight gradient: the tiles are its GEMMs' k, and each chunk reads and writes
     * back the (m+2)²·K·C gradient of U, so chunks are longer than the forward's.
     */
    private static final int WEIGHT_GRADIENT_TILES = 256;

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
    private static final ThreadLocal<NchwWinogradConv> TRAINING = ThreadLocal.withInitial(NchwWinogradConv::new);
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

    NchwWinogradConv() {
    }

    NchwWinogradConv bind(ConvSpec spec, Tile tile, int n, int inH, int inW, float[] x, float[] out, float[] u,
                          float[] bias, Activation activation, int chunkTiles) {
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
        this.tilesH = tiles(tile, outH);
        this.tilesW = tiles(tile, outW);
        this.stride = tilesW + 1;
        this.rowsPerChunk = rowsPerChunk(tilesH, tilesW, chunkTiles);
        this.chunksPerImage = (tilesH + rowsPerChunk - 1) / rowsPerChunk;
        this.columns = WinogradConv.roundUp(rowsPerChunk * stride, L);
        return this;
    }

    /** Drops the arrays of training's op, so an idle thread keeps no tensor alive. */
    private void release() {
        x = out = u = w = bias = null;
        partials = null;
    }

    /** Output tiles along a side of {@code length} pixels. */
    static int tiles(Tile tile, int length) {
        return (length + tile.m - 1) / tile.m;
    }

    /**
     * Tile rows per chunk (a task): about {@code chunkTiles} lanes, each tile row having one spare. Ints, not an
     * object describing the cut, because training binds an op and asks the cost model on every conv call.
     */
    static int rowsPerChunk(int tilesH, int tilesW, int chunkTiles) {
        return Math.max(1, Math.min(tilesH, Math.round((float) chunkTiles / (tilesW + 1))));
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
        NchwWinogradConv op = TRAINING.get().bind(spec, tile, n, inH, inW, x, out, held[0], bias, Activation.NONE,
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
        NchwWinogradConv op = TRAINING.get().bind(spec, tile, n, inH, inW, x, g, null, null, Activation.NONE,
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
            case TRANSFORM_WEIGHTS -> WinogradConv.transformWeights(tile, w, k, c, u, from, to);
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
        s.phases = WinogradConv.grow(s.phases, a * m * (columns + L));
        s.v = WinogradConv.grow(s.v, a * a * c * columns);
        s.mm = WinogradConv.grow(s.mm, a * a * k * columns);
        s.tmp = WinogradConv.grow(s.tmp, a * a * L);
        s.y = WinogradConv.grow(s.y, m * m * columns);
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
                WinogradConv.combine(a, tile.bt, a, s.phases, (j % m) * phaseLength + t + j / m, m * phaseLength,
                        s.tmp, j * L, a * L, WinogradConv.NO_ADD, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            }
            // Then rows: V[p][q] = Σ_j tmp[p][j] Bᵀ[q][j].
            for (int p = 0; p < a; p++) {
                WinogradConv.combine(a, tile.bt, a, s.tmp, p * a * L, L, s.v, (p * a * c + ci) * columns + t,
                        c * columns, WinogradConv.NO_ADD, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
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
                WinogradConv.combine(a, tile.at, m, s.mm, (q * k + ko) * columns + t, a * k * columns, s.tmp,
                        q * L, a * L, WinogradConv.NO_ADD, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            }
            for (int p = 0; p < m; p++) {
                WinogradConv.combine(a, tile.at, m, s.tmp, p * a * L, L, s.y, p * m * columns + t, columns,
                        s.biasLanes, 0, lo, hi);
            }
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
                WinogradConv.combine(m, tile.aMat, a, s.y, q * columns + t, m * columns, s.tmp, q * L, m * L,
                        WinogradConv.NO_ADD, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            }
            // Then rows: M[i][j] = Σ_q tmp[i][q] A[j][q].
            for (int i = 0; i < a; i++) {
                WinogradConv.combine(m, tile.aMat, a, s.tmp, i * m * L, L, s.mm, (i * a * k + ko) * columns + t,
                        k * columns, WinogradConv.NO_ADD, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            }
        }
    }

}
