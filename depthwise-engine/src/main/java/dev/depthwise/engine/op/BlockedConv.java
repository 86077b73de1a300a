package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import jdk.incubator.vector.FloatVector;

/**
 * The inference conv in the {@link ChannelBlocks channel-blocked layout}: {@code out = act(conv(x, weight) + bias
 * [+ residual])}, prepared once for fixed tensors (BatchNorm already folded) like {@link FusedConv}, allocating
 * nothing when run. Three kernels, chosen by the spec and the input's layout:
 * <ul>
 *   <li><b>pointwise</b> (1×1, stride 1, blocked input): for each tile of {@link #TILE} pixels and pair of output
 *       blocks, 2 × TILE vector accumulators, each input channel a broadcast multiplied into two weight vectors, the
 *       inputs read from a per-thread copy of the pixels in rows (see {@link #pointwisePixels}; the tiles are
 *       generated at build time, see {@link #pixels});</li>
 *   <li><b>depthwise 3×3</b> (stride 1 or 2, blocked input): {@link BlockedDepthwiseRows}, 9 vector taps per
 *       output pixel, every lane a channel;</li>
 *   <li><b>direct</b> (any other kernel with groups 1, NCHW or blocked input): the stem conv of a 3-channel
 *       image (NCHW, which the blocked layout would pad to a whole block) and SegNet's 3×3 convs. The input is
 *       copied into a zero-bordered per-thread scratch once per run, and the same tiles run with each
 *       (channel, ky, kx) tap as a term: no im2col matrix.</li>
 * </ul>
 * Output channels past {@code Cout} in the last block come out as zero (zero weights, bias and residual).
 */
public final class BlockedConv implements Parallel.RangeBody {
    private static final int B = ChannelBlocks.SIZE;
    /** Pixels per register tile of a block pair: 6, 5 or 4, as {@link RegisterTiles} chooses for this JVM. */
    static final int TILE = RegisterTiles.CONV_PIXELS;
    /**
     * Whether a pointwise conv's lone last output block gets tiles of its own, 2 × TILE pixels of one block: with 32
     * vector registers. With 16, that tile (a broadcast per FMA) kept accumulators on the stack, and a lone block ran
     * faster through the pair's tiles with the missing block's zero weights; a direct conv's lone block did not
     * (docs/jvm-notes.md).
     */
    private static final boolean LONE_CHANNELS_TILES = B >= 16;
    /** Pixels per pointwise task: the input of a chunk stays in L2 while every output block pair reads it. */
    private static final int CHUNK = 16 * TILE;

    enum Kind { POINTWISE, DEPTHWISE, DIRECT }

    private final Kind kind;
    private final ConvSpec s;
    private final int n, inH, inW, outH, outW, inHW, outHW;
    private final int inBlocks, outBlocks;
    private final float[] x, out;
    /** Weights packed per kind (see the constructor), padded to an even number of output blocks. */
    private final float[] w;
    private final float[] bias;
    private final float lo, hi;
    /**
     * Where the kernels' sums start besides the bias: the residual, or (without one) these zeros, read at a fixed
     * offset: no branch where vectors are live (docs/jvm-notes.md), and a tile that recomputes pixels (the
     * overlapping tail) stores the same final values again.
     */
    private final float[] start;
    private final int startStride;
    private final float[] zeros = new float[2 * B];
    /** {@code zeros} and {@code start}, chosen by {@link #hasSecond} without a branch. */
    private final float[][] startOrZeros;
    private final int tasks;
    private final int grain;
    // pointwise: tasks are (image, pixel chunk, group of output block pairs)
    private final int chunks, chunkPixels, pairGroups, pairsPerGroup;
    // depthwise and direct: tasks are (image, output block or block pair, row chunk)
    private final int rowChunks, rowsPerChunk;
    // direct: the zero-bordered input, its geometry and the offset of each tap (channel, ky, kx) in it
    private final int padH, padW, taps;
    /** Floats per input pixel and channel block in the padded copy: 1 for an NCHW input, B for a blocked one. */
    private final int unit;
    private final int[] tapOffsets;
    private final Runnable fillPadded;
    /** The depthwise kernel's rows (depthwise kind only). */
    private final BlockedDepthwiseRows depthwise;
    /** The zero-bordered copy of the input, this run's: a per-thread scratch shared by every direct conv. */
    private float[] padded;

    /**
     * {@code x} (shape {@code xShape}) is null in a {@link BlockedSeparableConv}'s pointwise half, which reads a
     * scratch band instead, and {@code out} is null in its depthwise half, which writes one.
     */
    BlockedConv(Kind kind, ConvSpec s, int[] xShape, float[] x, Tensor weight, Tensor bias, Tensor residual,
                float[] out, Activation act) {
        this.kind = kind;
        this.s = s;
        this.n = xShape[0];
        this.inH = xShape[2];
        this.inW = xShape[3];
        this.outH = s.outputHeight(inH);
        this.outW = s.outputWidth(inW);
        this.inHW = inH * inW;
        this.outHW = outH * outW;
        this.inBlocks = ChannelBlocks.blocks(s.inChannels());
        this.outBlocks = ChannelBlocks.blocks(s.outChannels());
        this.x = x;
        this.out = out;
        this.lo = act.lo;
        this.hi = act.hi;
        this.start = residual == null ? zeros : residual.data();
        this.startOrZeros = new float[][] {zeros, start};
        this.startStride = residual == null ? 0 : 1;
        int pairs = (outBlocks + 1) / 2;
        this.bias = new float[2 * pairs * B];
        if (bias != null) {
            System.arraycopy(bias.data(), 0, this.bias, 0, s.outChannels());
        }
        float[] wt = weight.data();
        int cout = s.outChannels(), cin = s.inChannels();
        int threads = Parallel.threads();
        if (kind == Kind.POINTWISE) {
            w = pairInterleaved(wt, cout, cin, pairs);
            chunks = (outHW + CHUNK - 1) / CHUNK;
            // Even chunks of whole tiles: 14x14 as 66 + 66 + 64 pixels, not 96 + 96 + 4.
            chunkPixels = ((outHW + chunks - 1) / chunks + TILE - 1) / TILE * TILE;
            // Pairs per task: the fewest rounds of tasks the threads take, each task's time its pairs plus the copy
            // of its chunk into the panel (about 4 / B of a pair's FMA time: a vector copy per B channels against two
            // FMAs per channel), which every group of pairs repeats. Ties go to fewer groups. 7x7x960->160 on two
            // threads: 2 groups of 3 and 2 pairs, where 5 groups of 1 (3 rounds) copied the chunk 5 times.
            int units = n * chunks, perGroup = pairs;
            double best = Double.MAX_VALUE;
            for (int size = pairs; size >= 1 && threads > 1; size--) {
                double rounds = Math.ceil((double) units * ((pairs + size - 1) / size) / threads);
                double time = rounds * (size + 4.0 / B);
                if (time < best * (1 - 1e-9)) {
                    best = time;
                    perGroup = size;
                }
            }
            pairsPerGroup = perGroup;
            pairGroups = (pairs + pairsPerGroup - 1) / pairsPerGroup;
            tasks = units * pairGroups;
            grain = 1;
            rowChunks = rowsPerChunk = 1;
            padH = padW = taps = unit = 0;
            tapOffsets = null;
            fillPadded = null;
            depthwise = null;
            return;
        }
        chunks = chunkPixels = pairGroups = pairsPerGroup = 1;
        int units = kind == Kind.DEPTHWISE ? n * outBlocks : n * pairs;
        int rc = Math.max(1, Math.min(outH, (4 * threads + units - 1) / units));
        rowsPerChunk = (outH + rc - 1) / rc;
        rowChunks = (outH + rowsPerChunk - 1) / rowsPerChunk;
        tasks = units * rowChunks;
        grain = Math.max(1, 512 / Math.max(1, rowsPerChunk * outW));
        if (kind == Kind.DEPTHWISE) {
            w = null;
            depthwise = new BlockedDepthwiseRows(s, inH, inW, x, wt, this.bias, start, startStride, lo, hi);
            padH = padW = taps = unit = 0;
            tapOffsets = null;
            fillPadded = null;
            return;
        }
        depthwise = null;
        // DIRECT: term t = (ci * kh + ky) * kw + kx
        int kh = s.kernelH(), kw = s.kernelW();
        taps = cin * kh * kw;
        w = pairInterleaved(wt, cout, taps, pairs);
        padH = inH + 2 * s.padH();
        padW = inW + 2 * s.padW();
        boolean blockedInput = xShape.length == 5;
        unit = blockedInput ? B : 1;
        tapOffsets = new int[taps];
        for (int ci = 0, t = 0; ci < cin; ci++) {
            // NCHW: plane ci; blocked: plane ci / B, lane ci % B
            int plane = blockedInput ? ci / B : ci, lane = blockedInput ? ci % B : 0;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++, t++) {
                    tapOffsets[t] = ((plane * padH + ky) * padW + kx) * unit + lane;
                }
            }
        }
        float[] src = this.x;
        int ph = s.padH(), pw = s.padW();
        int planes = n * (blockedInput ? inBlocks : cin);
        int rowLength = inW * unit, paddedRow = padW * unit;
        fillPadded = new PreparedLoop(planes, ChannelBlocks.grain(inHW * unit)) {
            @Override
            public void run(int from, int to) {
                float[] dst = padded;
                for (int plane = from; plane < to; plane++) {
                    int base = plane * padH * paddedRow;
                    java.util.Arrays.fill(dst, base, base + ph * paddedRow, 0f);
                    for (int iy = 0; iy < inH; iy++) {
                        int row = base + (iy + ph) * paddedRow;
                        java.util.Arrays.fill(dst, row, row + pw * unit, 0f);
                        System.arraycopy(src, (plane * inH + iy) * rowLength, dst, row + pw * unit, rowLength);
                        java.util.Arrays.fill(dst, row + pw * unit + rowLength, row + paddedRow, 0f);
                    }
                    java.util.Arrays.fill(dst, base + (inH + ph) * paddedRow, base + padH * paddedRow, 0f);
                }
            }
        };
    }

    private static final ThreadLocal<float[]> PADDED = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * The weights {@code weight[co][t]} as the tiles read them: for each pair of output blocks, term by term, the
     * first block's B lanes then the second's ({@code w[((pair * terms + t) * 2 + half) * B + lane]}), zero past
     * {@code cout}.
     */
    private static float[] pairInterleaved(float[] weight, int cout, int terms, int pairs) {
        float[] packed = new float[2 * pairs * terms * B];
        for (int co = 0; co < cout; co++) {
            int block = co / B;
            for (int t = 0; t < terms; t++) {
                packed[((block / 2 * terms + t) * 2 + block % 2) * B + co % B] = weight[co * terms + t];
            }
        }
        return packed;
    }

    /**
     * Checks the tensors and prepares the conv. {@code x} is NCHW (direct kernel, groups 1) or blocked (any conv
     * with groups 1, or 3×3 depthwise); {@code out} and {@code residual} (nullable) are blocked; {@code bias} may be
     * null.
     *
     * @throws IllegalArgumentException naming the shapes when they do not fit the spec or no kernel fits it
     */
    public static BlockedConv prepare(ConvSpec spec, Tensor x, Tensor weight, Tensor bias, Tensor residual,
                                      Tensor out, Activation act) {
        String op = "BlockedConv";
        if (spec == null || x == null || weight == null || out == null || act == null) {
            throw new IllegalArgumentException(op + ": spec, x, weight, out and act must not be null");
        }
        Kind kind = kindOf(spec, x);
        if (kind == null) {
            throw new IllegalArgumentException(op + ": no blocked kernel for " + spec + " on input " + x.shapeString()
                    + " (groups 1 on an NCHW or blocked input, or 3x3 depthwise on a blocked input)");
        }
        int[] logical = x.rank() == 4 ? x.shape() : new int[] {x.dim(0), spec.inChannels(), x.dim(2), x.dim(3)};
        if (x.rank() == 5) {
            ChannelBlocks.require(op, "x", x, logical);
        }
        int[] outShape = spec.outputShape(logical);
        ConvOp.checkWeight(op, spec, weight);
        ConvOp.checkBias(op, spec, bias, "bias");
        checkOutput(op, x, residual, out, outShape);
        return new BlockedConv(kind, spec, x.shape(), x.data(), weight, bias, residual, out.data(), act);
    }

    /** {@code out} and {@code residual} (nullable) blocked as {@code outShape}, and neither sharing an array. */
    static void checkOutput(String op, Tensor x, Tensor residual, Tensor out, int[] outShape) {
        ChannelBlocks.require(op, "out", out, outShape);
        if (residual != null) {
            ChannelBlocks.require(op, "residual", residual, outShape);
        }
        if (out.data() == x.data() || (residual != null && residual.data() == out.data())) {
            throw new IllegalArgumentException(op + ": out must not share its array with x or residual");
        }
    }

    /** Whether {@link #prepare} has a kernel for {@code spec} on an input that is blocked or not. */
    public static boolean supports(ConvSpec spec, boolean blockedInput) {
        boolean dense = spec.groups() == 1 && spec.dilationH() == 1 && spec.dilationW() == 1;
        return dense || blockedInput && DepthwiseConv3x3.supports(spec);
    }

    private static Kind kindOf(ConvSpec spec, Tensor x) {
        boolean blocked = x.rank() == 5 && x.dim(4) == B;
        if (!blocked && x.rank() != 4 || !supports(spec, blocked)) {
            return null;
        }
        if (blocked && spec.groups() == 1 && spec.isPointwise()) {
            return Kind.POINTWISE;
        }
        return spec.groups() == 1 ? Kind.DIRECT : Kind.DEPTHWISE;
    }

    /** Computes the output; allocates nothing. */
    public void run() {
        if (fillPadded != null) {
            int size = n * (unit == 1 ? s.inChannels() : inBlocks * B) * padH * padW;
            float[] scratch = PADDED.get();
            if (scratch.length < size) {
                scratch = new float[size]; // once per thread and size: steady-state runs allocate nothing
                PADDED.set(scratch);
            }
            padded = scratch;
            fillPadded.run();
        }
        Parallel.forRange(tasks, grain, this);
        padded = null;
    }

    /** Runs tasks {@code [from, to)} on the calling thread; called by {@link Parallel}. */
    @Override
    public void run(int from, int to) {
        for (int t = from; t < to; t++) {
            switch (kind) {
                case POINTWISE -> pointwiseTask(t);
                case DEPTHWISE -> depthwiseTask(t);
                case DIRECT -> directTask(t);
            }
        }
    }

    // ---- pointwise ----

    private void pointwiseTask(int t) {
        int group = t % pairGroups;
        int rest = t / pairGroups;
        int img = rest / chunks;
        int p0 = (rest % chunks) * chunkPixels, p1 = Math.min(outHW, p0 + chunkPixels);
        int pair0 = group * pairsPerGroup, pair1 = Math.min((outBlocks + 1) / 2, pair0 + pairsPerGroup);
        pointwisePixels(x, img * inBlocks * inHW * B, inHW * B, img, p0, p1, pair0, pair1);
    }

    /** Floats of the panel of one piece of at most {@link #CHUNK} pixels: see {@link #pointwisePixels}. */
    private int panelFloats() {
        return (s.inChannels() + ConvTiles.ROW - 1) / ConvTiles.ROW * CHUNK * ConvTiles.ROW;
    }

    /**
     * Pixels {@code [p0, p1)} of output block pairs {@code [pair0, pair1)} of image {@code img}, from input pixel
     * {@code p}'s channel block {@code k} at {@code xs[inBase + k * blockStride + p * B]}. A piece of at most
     * {@link #CHUNK} pixels at a time is first copied into a per-thread panel, one row of {@link ConvTiles#ROW} floats
     * per pixel (and per ROW input channels: {@code panel[(c * CHUNK + pixel) * ROW + channel % ROW]} for c =
     * channel / ROW), which every pair's tiles then read. In the tiles, each input is then the loop counter plus a
     * constant: the loop compiles as tightly as {@code Gemm}'s in every JVM, where reading the blocked layout took a
     * shift, a mask, bounds checks and a register per pixel for each term, and C2 spilled accumulators in some JVMs
     * (docs/jvm-notes.md). The copy is one vector per pixel and input block.
     */
    void pointwisePixels(float[] xs, int inBase, int blockStride, int img, int p0, int p1, int pair0, int pair1) {
        int pieces = (p1 - p0 + CHUNK - 1) / CHUNK;
        int piece = ((p1 - p0 + pieces - 1) / pieces + TILE - 1) / TILE * TILE;
        float[] panel = PANEL.get();
        if (panel.length < panelFloats()) {
            panel = new float[panelFloats()]; // once per thread and size: steady-state runs allocate nothing
            PANEL.set(panel);
        }
        for (int q0 = p0; q0 < p1; q0 += piece) {
            int q1 = Math.min(p1, q0 + piece);
            pack(xs, inBase, blockStride, q0, q1, panel);
            for (int pair = pair0; pair < pair1; pair++) {
                pixels(panel, 0, ConvTiles.ROW, img, 2 * pair, q0, q1);
            }
        }
    }

    /** Pixels {@code [q0, q1)} (at most {@link #CHUNK}) from the blocked input into the panel. */
    private void pack(float[] xs, int inBase, int blockStride, int q0, int q1, float[] panel) {
        int row = ConvTiles.ROW;
        for (int k = 0; k < inBlocks; k++) {
            int channel = k * B, dst = channel / row * CHUNK * row + channel % row;
            for (int src = inBase + k * blockStride + q0 * B, end = src + (q1 - q0) * B; src < end; src += B,
                    dst += row) {
                FloatVector.fromArray(ChannelBlocks.S, xs, src).intoArray(panel, dst);
            }
        }
    }

    /** The pointwise kernel's panel, this thread's: shared by every pointwise conv. */
    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);

    // ---- depthwise 3x3 ----

    private void depthwiseTask(int t) {
        int chunk = t % rowChunks;
        int plane = t / rowChunks; // image * outBlocks + block
        int oy0 = chunk * rowsPerChunk;
        depthwiseRows(plane / outBlocks, plane % outBlocks, oy0, Math.min(outH, oy0 + rowsPerChunk), out,
                plane * outHW * B, 0);
    }

    /** {@link BlockedDepthwiseRows#rows}, for {@link BlockedSeparableConv}'s bands. */
    void depthwiseRows(int img, int block, int oy0, int oy1, float[] os, int out0, int oyBase) {
        depthwise.rows(img, block, oy0, oy1, os, out0, oyBase);
    }

    // ---- direct (any dense conv, from a zero-bordered copy of the input) ----

    private void directTask(int t) {
        int chunk = t % rowChunks;
        int pairIndex = t / rowChunks; // image * pairs + pair
        int pairs = (outBlocks + 1) / 2;
        int img = pairIndex / pairs, block = 2 * (pairIndex % pairs);
        int plane0 = img * (unit == 1 ? s.inChannels() : inBlocks * B) * padH * padW;
        for (int oy = chunk * rowsPerChunk, end = Math.min(outH, oy + rowsPerChunk); oy < end; oy++) {
            pixels(padded, plane0 + oy * s.strideH() * padW * unit, s.strideW() * unit, img, block, oy * outW,
                    (oy + 1) * outW);
        }
    }

    // ---- the tiles of both (generated: ConvTiles) ----

    /**
     * Output pixels {@code [p0, p1)} of blocks {@code block} and {@code block + 1} (if there is one) of image
     * {@code img}, pixel {@code p0 + j}'s input at {@code xs[in0 + j * step]} (its terms from there: the next
     * channels of the pointwise panel's row, or the direct conv's tap offsets). Runs of tiles: 2 × TILE pixels of a
     * lone last block (but see {@link #LONE_CHANNELS_TILES}), then (TILE - 1)- and TILE-pixel tiles of the pair that
     * cover the run exactly, then (when it cannot be covered so) one tile ending at the run's end and recomputing a
     * few pixels, then single pixels for a run shorter than a tile.
     */
    private void pixels(float[] xs, int in0, int step, int img, int block, int p0, int p1) {
        int p = p0;
        if (block + 1 == outBlocks && (LONE_CHANNELS_TILES || tapOffsets != null)) {
            // A lone last block (or the only one): a tile of twice the pixels instead of a wasted second block.
            for (; p + 2 * TILE <= p1; p += 2 * TILE) {
                tile(2 * TILE, xs, in0 + (p - p0) * step, step, img, block, p);
            }
        }
        for (int fives = fivePixelTiles(p1 - p); fives > 0; fives--, p += TILE - 1) {
            tile(TILE - 1, xs, in0 + (p - p0) * step, step, img, block, p);
        }
        for (; p + TILE <= p1; p += TILE) {
            tile(TILE, xs, in0 + (p - p0) * step, step, img, block, p);
        }
        if (p < p1 && overlapTail(p1 - p0)) {
            tile(TILE, xs, in0 + (p1 - TILE - p0) * step, step, img, block, p1 - TILE);
            p = p1;
        }
        for (; p < p1; p++) {
            tile(1, xs, in0 + (p - p0) * step, step, img, block, p);
        }
    }

    /**
     * One tile of {@code pixels} (2 × TILE: block {@code block} alone; TILE, TILE - 1 or 1: the pair from
     * {@code block}), through
     * {@link ConvTiles}. The sums start from bias + residual (zeros without one); the clamp is applied as they are
     * stored. Without a second block, its results are stored where the first block's then overwrite them: no
     * branch (see {@link #hasSecond}). Two methods, one per kind of term, so that each stays small enough to inline:
     * as one method with all eight calls, 1x1 convs ran 3-10% slower (one thread's CPU time, same JVM).
     */
    private void tile(int pixels, float[] xs, int in0, int step, int img, int block, int p) {
        if (tapOffsets == null) {
            channelsTile(pixels, xs, in0, img, block, p);
        } else {
            tapsTile(pixels, xs, in0, step, img, block, p);
        }
    }

    /**
     * A channels tile at panel row {@code in0}, in passes of up to {@link ConvTiles#ROW} input channels: the first
     * starts from bias + residual (zeros without one), a later one from the sums the previous pass stored, and only
     * the last clamps. A tile that recomputes stored pixels (the overlapping tail) restarts from the first pass, so
     * it stores the same values again.
     */
    private void channelsTile(int pixels, float[] xs, int in0, int img, int block, int p) {
        int cin = s.inChannels(), wOff = block * cin * B, bOff = block * B;
        int o = outOffset(img, block, p), ka = startStride * B;
        int second = hasSecond(block), o2 = o + outHW * B;
        int ob = o + second * (o2 - o);
        for (int from = 0; from < cin; from += ConvTiles.ROW) {
            boolean first = from == 0, last = from + ConvTiles.ROW >= cin;
            int terms = Math.min(ConvTiles.ROW, cin - from);
            int at = in0 + from / ConvTiles.ROW * CHUNK * ConvTiles.ROW, wAt = wOff + from * 2 * B;
            float[] bs = first ? bias : zeros, sa = first ? start : out, sb = first ? startOrZeros[second] : out;
            int bo = first ? bOff : 0, ra = first ? startStride * o : o, rb = first ? second * startStride * o2 : ob;
            int kA = first ? ka : B, kB = first ? second * ka : B;
            float l = last ? lo : Float.NEGATIVE_INFINITY, h = last ? hi : Float.POSITIVE_INFINITY;
            switch (pixels) {
                case 12 -> ConvTiles.channels12x1(xs, at, terms, w, wAt, bs, bo, sa, ra, kA, out, o, l, h);
                case 6 -> ConvTiles.channels6x2(xs, at, terms, w, wAt, bs, bo, sa, ra, kA, sb, rb, kB, out, o, ob, l,
                        h);
                case 5 -> ConvTiles.channels5x2(xs, at, terms, w, wAt, bs, bo, sa, ra, kA, sb, rb, kB, out, o, ob, l,
                        h);
                case 4 -> ConvTiles.channels4x2(xs, at, terms, w, wAt, bs, bo, sa, ra, kA, sb, rb, kB, out, o, ob, l,
                        h);
                case 3 -> ConvTiles.channels3x2(xs, at, terms, w, wAt, bs, bo, sa, ra, kA, sb, rb, kB, out, o, ob, l,
                        h);
                default -> ConvTiles.channels1x2(xs, at, terms, w, wAt, bs, bo, sa, ra, kA, sb, rb, kB, out, o, ob, l,
                        h);
            }
        }
    }

    private void tapsTile(int pixels, float[] xs, int in0, int step, int img, int block, int p) {
        int[] offs = tapOffsets;
        int wOff = block * taps * B, bOff = block * B;
        int o = outOffset(img, block, p), ra = startStride * o, ka = startStride * B;
        if (pixels == 2 * TILE) {
            switch (pixels) {
                case 12 -> ConvTiles.taps12x1(xs, in0, offs, step, taps, w, wOff, bias, bOff, start, ra, ka, out, o, lo,
                        hi);
                case 10 -> ConvTiles.taps10x1(xs, in0, offs, step, taps, w, wOff, bias, bOff, start, ra, ka, out, o, lo,
                        hi);
                default -> ConvTiles.taps8x1(xs, in0, offs, step, taps, w, wOff, bias, bOff, start, ra, ka, out, o, lo,
                        hi);
            }
            return;
        }
        int second = hasSecond(block), o2 = o + outHW * B;
        int ob = o + second * (o2 - o), rb = second * startStride * o2, kb = second * ka;
        float[] sb = startOrZeros[second];
        switch (pixels) {
            case 6 -> ConvTiles.taps6x2(xs, in0, offs, step, taps, w, wOff, bias, bOff, start, ra, ka, sb, rb, kb,
                    out, o, ob, lo, hi);
            case 5 -> ConvTiles.taps5x2(xs, in0, offs, step, taps, w, wOff, bias, bOff, start, ra, ka, sb, rb,
                    kb, out, o, ob, lo, hi);
            case 4 -> ConvTiles.taps4x2(xs, in0, offs, step, taps, w, wOff, bias, bOff, start, ra, ka, sb, rb,
                    kb, out, o, ob, lo, hi);
            case 3 -> ConvTiles.taps3x2(xs, in0, offs, step, taps, w, wOff, bias, bOff, start, ra, ka, sb, rb,
                    kb, out, o, ob, lo, hi);
            default -> ConvTiles.taps1x2(xs, in0, offs, step, taps, w, wOff, bias, bOff, start, ra, ka, sb, rb, kb,
                    out, o, ob, lo, hi);
        }
    }

    // ---- shared ----

    /**
     * Whether the last few pixels of a run of {@code pixels} are done as a whole tile ending at the run's end,
     * recomputing some already stored (the same values again: the sums start from the residual, never from
     * {@code out}): a single-pixel sum over hundreds or thousands of terms is one long dependency chain, 4-6x
     * slower per pixel than a tile.
     */
    private boolean overlapTail(int pixels) {
        return pixels >= TILE;
    }

    /**
     * How many (TILE - 1)-pixel tiles a run of {@code pixels} takes, so that TILE-pixel tiles cover the rest exactly (none when
     * the run is too short for that).
     */
    private static int fivePixelTiles(int pixels) {
        int fives = (TILE - pixels % TILE) % TILE;
        return pixels >= (TILE - 1) * fives ? fives : 0;
    }

    /**
     * 1 if output block {@code block} has a second block after it (the tiles' pairs), 0 for a lone last block:
     * arithmetic, not a branch, which deoptimised the tiles when first met (docs/jvm-notes.md).
     */
    private int hasSecond(int block) {
        return (block + 1 - outBlocks) >>> 31;
    }

    private int outOffset(int img, int block, int p) {
        return ((img * outBlocks + block) * outHW + p) * B;
    }
}
