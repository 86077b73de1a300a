package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;

/**
 * {@link WinogradConv}'s algorithm on planned inference's channel-blocked layout ({@link ChannelBlocks}): input and
 * output {@code [N, C/B, H, W, B]}. Here a pixel's B channels are one vector, so both transforms run on whole vectors
 * of channels straight from the input rows, with no splitting of rows into phases and no spare lanes, and the
 * (m+2)² GEMMs multiply [tiles × input channels] by [input channels × output channels].
 *
 * <p>Tiles are processed in chunks of whole tile rows of one image, a chunk per task. Where there are fewer than
 * two chunks per thread (one image's 32×32 or 16×16 plane is one chunk), a chunk is instead split in three stages
 * across the team: input tiles, then the (m+2)² GEMMs, a few per thread, then output tiles. One task per chunk
 * left the other threads waiting through the transforms, and a GEMM of 16 or 64 tile rows split by columns packed
 * its rows again in every task. Both ways compute the same sums in the same order: the same output.
 *
 * <p>Padding channels are zero in the transformed weights and bias, so the output's padding channels come out
 * zero, as the layout requires.
 */
public final class BlockedWinogradConv extends PreparedLoop {
    private static final int B = ChannelBlocks.SIZE;
    /** Tiles aimed for per chunk (GEMM rows): enough for the register tiles, few enough to keep V and M near L2. */
    private static final int CHUNK_TILES = 64;

    private final WinogradConv.Tile tile;
    private final int padH;
    private final int padW;
    private final float[] x;
    private final float[] out;
    /** U[ξ][ci][ko], channels padded to whole blocks. */
    private final float[] u;
    private final float[] bias;
    private final float lo;
    private final float hi;
    private final int cp;
    private final int kp;
    private final int inH;
    private final int inW;
    private final int outH;
    private final int outW;
    private final int tilesH;
    private final int tilesW;
    private final int rowsPerChunk;
    private final int chunksPerImage;
    private final int chunks;

    // The staged run: one chunk at a time, each stage a loop over the team. The stages write the calling
    // thread's V and M, set with the chunk before each stage starts.
    private final Parallel.RangeBody inputStage = this::transformInputs;
    private final Parallel.RangeBody gemmStage = this::multiplyPoints;
    private final Parallel.RangeBody outputStage = this::transformOutputs;
    private int stageImage;
    private int stageFirstRow;
    private int stageTiles;
    private float[] stageV;
    private float[] stageM;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffers, grown to the largest op a thread has run and then reused. */
    private static final class Scratch {
        float[] patch = new float[0];
        float[] tmp = new float[0];
        float[] v = new float[0];
        float[] mm = new float[0];
        float[] edge = new float[0];
    }

    private BlockedWinogradConv(ConvSpec spec, WinogradConv.Tile tile, int n, int inH, int inW, int outH, int outW,
                                float[] x, float[] out, float[] u, float[] bias, Activation activation,
                                int rowsPerChunk) {
        super(n * (((outH + tile.m - 1) / tile.m + rowsPerChunk - 1) / rowsPerChunk), 1);
        this.tile = tile;
        this.padH = spec.padH();
        this.padW = spec.padW();
        this.x = x;
        this.out = out;
        this.u = u;
        this.bias = bias;
        this.lo = activation.lo;
        this.hi = activation.hi;
        this.cp = ChannelBlocks.blocks(spec.inChannels()) * B;
        this.kp = ChannelBlocks.blocks(spec.outChannels()) * B;
        this.inH = inH;
        this.inW = inW;
        this.outH = outH;
        this.outW = outW;
        this.tilesH = (outH + tile.m - 1) / tile.m;
        this.tilesW = (outW + tile.m - 1) / tile.m;
        this.rowsPerChunk = rowsPerChunk;
        this.chunksPerImage = (tilesH + rowsPerChunk - 1) / rowsPerChunk;
        this.chunks = n * chunksPerImage;
    }

    /**
     * Binds the op to its blocked tensors and transforms the weights ({@code [out, in, 3, 3]}) once; {@code bias}
     * may be null. Each {@link #run} writes {@code activation(conv(x) + bias)} into {@code out}.
     */
    public static BlockedWinogradConv prepare(ConvSpec spec, WinogradConv.Tile tile, Tensor x, Tensor weight,
                                              Tensor bias, Tensor out, Activation activation) {
        String op = "BlockedWinogradConv";
        if (spec == null || tile == null || x == null || weight == null || out == null || activation == null) {
            throw new IllegalArgumentException(op + ": spec, tile, x, weight, out and activation must not be null");
        }
        if (!WinogradConv.supports(spec)) {
            throw new IllegalArgumentException(op + ": needs a dense 3x3 conv at stride 1 without dilation, got " + spec);
        }
        if (x.rank() != 5) {
            throw new IllegalArgumentException(op + ": x must be channel-blocked (rank 5), got " + x.shapeString());
        }
        int[] logical = {x.dim(0), spec.inChannels(), x.dim(2), x.dim(3)};
        ChannelBlocks.require(op, "x", x, logical);
        int[] outShape = spec.outputShape(logical);
        ConvOp.checkWeight(op, spec, weight);
        ConvOp.checkBias(op, spec, bias, "bias");
        BlockedConv.checkOutput(op, x, null, out, outShape);
        int c = spec.inChannels();
        int k = spec.outChannels();
        int cp = ChannelBlocks.blocks(c) * B;
        int kp = ChannelBlocks.blocks(k) * B;
        int points = tile.a * tile.a;
        float[] byOutput = WinogradConv.transformWeights(tile, weight, spec); // [ξ][k][c]
        float[] u = new float[points * cp * kp];
        for (int xi = 0; xi < points; xi++) {
            for (int ko = 0; ko < k; ko++) {
                for (int ci = 0; ci < c; ci++) {
                    u[(xi * cp + ci) * kp + ko] = byOutput[(xi * k + ko) * c + ci];
                }
            }
        }
        float[] paddedBias = new float[kp];
        if (bias != null) {
            System.arraycopy(bias.data(), 0, paddedBias, 0, k);
        }
        return new BlockedWinogradConv(spec, tile, x.dim(0), x.dim(2), x.dim(3), outShape[2], outShape[3], x.data(),
                out.data(), u, paddedBias, activation, rowsPerChunk(tile, outShape[2], outShape[3]));
    }

    private static int rowsPerChunk(WinogradConv.Tile tile, int outH, int outW) {
        int tilesH = (outH + tile.m - 1) / tile.m;
        int tilesW = (outW + tile.m - 1) / tile.m;
        return Math.max(1, Math.min(tilesH, Math.round((float) CHUNK_TILES / tilesW)));
    }

    /**
     * The cost model (see {@link WinogradConv#TRANSFORM_COST}) for this layout: predicted time as a fraction of a
     * direct convolution's at the same GEMM efficiency. A chunk's GEMMs have its tiles as rows and the padded output
     * channels as columns; their efficiency is what whole register tiles of those hold.
     */
    public static double relativeCost(ConvSpec spec, WinogradConv.Tile tile, int n, int h, int w) {
        int outH = spec.outputHeight(h);
        int outW = spec.outputWidth(w);
        int tilesW = (outW + tile.m - 1) / tile.m;
        int tilesH = (outH + tile.m - 1) / tile.m;
        int rows = Math.min(rowsPerChunk(tile, outH, outW), tilesH) * tilesW;
        int kp = ChannelBlocks.blocks(spec.outChannels()) * B;
        double gemmEfficiency = (double) rows / WinogradConv.roundUp(rows, Gemm.MR)
                * kp / WinogradConv.roundUp(kp, Gemm.NR);
        double tiles = (double) n * tilesH * tilesW;
        double chunks = (double) n * ((tilesH + rowsPerChunk(tile, outH, outW) - 1) / rowsPerChunk(tile, outH, outW));
        return WinogradConv.estimate(tile, spec, tiles, gemmEfficiency, chunks)
                / (9.0 * spec.inChannels() * spec.outChannels() * n * outH * outW);
    }

    /** The tile the cost model expects fastest on this layout, or null for direct convolution. */
    public static WinogradConv.Tile choose(ConvSpec spec, int n, int h, int w) {
        return WinogradConv.cheapest(spec, n, h, w, BlockedWinogradConv::relativeCost);
    }

    @Override
    public void run() {
        if (chunks >= 2 * Parallel.threads()) {
            super.run();
            return;
        }
        Scratch s = scratch(true);
        stageV = s.v;
        stageM = s.mm;
        try {
            for (int chunk = 0; chunk < chunks; chunk++) {
                stageImage = chunk / chunksPerImage;
                stageFirstRow = chunk % chunksPerImage * rowsPerChunk;
                stageTiles = tilesInChunk(stageFirstRow);
                Parallel.forRange(stageTiles, inputStage);
                Parallel.forRange(tile.a * tile.a, gemmStage);
                Parallel.forRange(stageTiles, outputStage);
            }
        } finally {
            stageV = stageM = null;
        }
    }

    /** Whole chunks, one task each. */
    @Override
    public void run(int from, int to) {
        Scratch s = scratch(true);
        for (int chunk = from; chunk < to; chunk++) {
            int n = chunk / chunksPerImage;
            int firstRow = chunk % chunksPerImage * rowsPerChunk;
            int tiles = tilesInChunk(firstRow);
            transformInputs(s, s.v, n, firstRow, tiles, 0, tiles);
            multiplyPoints(s.v, s.mm, tiles, 0, tile.a * tile.a);
            transformOutputs(s, s.mm, n, firstRow, tiles, 0, tiles);
        }
    }

    private int tilesInChunk(int firstRow) {
        return Math.min(rowsPerChunk, tilesH - firstRow) * tilesW;
    }

    /** This thread's buffers, grown for this op; V and M only where this thread holds a whole chunk's. */
    private Scratch scratch(boolean chunkBuffers) {
        Scratch s = SCRATCH.get();
        int points = tile.a * tile.a;
        s.patch = WinogradConv.grow(s.patch, points * B);
        s.tmp = WinogradConv.grow(s.tmp, points * B);
        s.edge = WinogradConv.grow(s.edge, tile.m * tile.m * B);
        if (chunkBuffers) {
            int maxTiles = rowsPerChunk * tilesW;
            s.v = WinogradConv.grow(s.v, points * maxTiles * cp);
            s.mm = WinogradConv.grow(s.mm, points * maxTiles * kp);
        }
        return s;
    }

    private void transformInputs(int from, int to) {
        transformInputs(scratch(false), stageV, stageImage, stageFirstRow, stageTiles, from, to);
    }

    private void multiplyPoints(int from, int to) {
        multiplyPoints(stageV, stageM, stageTiles, from, to);
    }

    private void transformOutputs(int from, int to) {
        transformOutputs(scratch(false), stageM, stageImage, stageFirstRow, stageTiles, from, to);
    }

    /** Tiles {@code [from, to)} of the chunk starting at tile row {@code firstRow} of image n, into V. */
    private void transformInputs(Scratch s, float[] v, int n, int firstRow, int tiles, int from, int to) {
        for (int t = from; t < to; t++) {
            int ty = firstRow + t / tilesW;
            int tx = t % tilesW;
            for (int cb = 0; cb < cp / B; cb++) {
                transformInput(s, v, n, cb, ty, tx, t, tiles);
            }
        }
    }

    /** {@code M[ξ] = V[ξ] · U[ξ]} for the points {@code ξ} in {@code [from, to)}. */
    private void multiplyPoints(float[] v, float[] mm, int tiles, int from, int to) {
        for (int xi = from; xi < to; xi++) {
            Gemm.matmul(false, false, tiles, kp, cp, v, xi * tiles * cp, cp, u, xi * cp * kp, kp,
                    mm, xi * tiles * kp, kp, false);
        }
    }

    /** Output tiles {@code [from, to)} of the chunk, from M. */
    private void transformOutputs(Scratch s, float[] mm, int n, int firstRow, int tiles, int from, int to) {
        for (int t = from; t < to; t++) {
            int ty = firstRow + t / tilesW;
            int tx = t % tilesW;
            for (int kb = 0; kb < kp / B; kb++) {
                transformOutput(s, mm, n, kb, ty, tx, t, tiles);
            }
        }
    }

    /** {@code V[ξ][t][cb·B..] = (Bᵀ d B)[ξ]} for tile t's patch of channel block cb. */
    private void transformInput(Scratch s, float[] v, int n, int cb, int ty, int tx, int t, int tiles) {
        int a = tile.a;
        int iy0 = ty * tile.m - padH;
        int ix0 = tx * tile.m - padW;
        int plane = (n * (cp / B) + cb) * inH * inW;
        float[] src;
        int srcOff;
        int rowStride;
        if (iy0 >= 0 && ix0 >= 0 && iy0 + a <= inH && ix0 + a <= inW) {
            src = x;
            srcOff = (plane + iy0 * inW + ix0) * B;
            rowStride = inW * B;
        } else {
            // A border tile: its patch, zero outside the input, gathered first.
            float[] patch = s.patch;
            for (int i = 0; i < a; i++) {
                int iy = iy0 + i;
                for (int j = 0; j < a; j++) {
                    int ix = ix0 + j;
                    int dst = (i * a + j) * B;
                    if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) {
                        java.util.Arrays.fill(patch, dst, dst + B, 0f);
                    } else {
                        System.arraycopy(x, (plane + iy * inW + ix) * B, patch, dst, B);
                    }
                }
            }
            src = patch;
            srcOff = 0;
            rowStride = a * B;
        }
        float none = Float.POSITIVE_INFINITY;
        for (int j = 0; j < a; j++) { // columns: tmp[p][j] = Σ_i Bᵀ[p][i] d[i][j]
            WinogradConv.combine(a, tile.bt, a, src, srcOff + j * B, rowStride, s.tmp, j * B, a * B,
                    WinogradConv.NO_ADD, 0, -none, none);
        }
        for (int p = 0; p < a; p++) { // rows: V[p][q] = Σ_j tmp[p][j] Bᵀ[q][j]
            WinogradConv.combine(a, tile.bt, a, s.tmp, p * a * B, B, v, ((p * a) * tiles + t) * cp + cb * B,
                    tiles * cp, WinogradConv.NO_ADD, 0, -none, none);
        }
    }

    /** Output tile t of channel block kb: {@code activation(Aᵀ M A + bias)}, cut at the output's edges. */
    private void transformOutput(Scratch s, float[] mm, int n, int kb, int ty, int tx, int t, int tiles) {
        int a = tile.a;
        int m = tile.m;
        float none = Float.POSITIVE_INFINITY;
        for (int q = 0; q < a; q++) {
            WinogradConv.combine(a, tile.at, m, mm, (q * tiles + t) * kp + kb * B, a * tiles * kp, s.tmp, q * B,
                    a * B, WinogradConv.NO_ADD, 0, -none, none);
        }
        int oy0 = ty * m;
        int ox0 = tx * m;
        int plane = (n * (kp / B) + kb) * outH * outW;
        boolean inside = oy0 + m <= outH && ox0 + m <= outW;
        for (int p = 0; p < m; p++) {
            float[] dst = inside ? out : s.edge;
            int dstOff = inside ? (plane + (oy0 + p) * outW + ox0) * B : p * m * B;
            WinogradConv.combine(a, tile.at, m, s.tmp, p * a * B, B, dst, dstOff, B, bias, kb * B, lo, hi);
        }
        if (!inside) {
            for (int p = 0; p < m && oy0 + p < outH; p++) {
                int width = Math.min(m, outW - ox0);
                System.arraycopy(s.edge, p * m * B, out, (plane + (oy0 + p) * outW + ox0) * B, width * B);
            }
        }
    }
}
