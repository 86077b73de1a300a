package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;

/**
 * A 3×3 depthwise conv and the pointwise conv that reads it, as one step in the {@link ChannelBlocks channel-blocked
 * layout}: {@code out = pwAct(pointwise(dwAct(depthwise(x))) [+ residual])}, prepared once for fixed tensors like
 * {@link BlockedConv}, whose kernels it runs. Each task computes a band of the depthwise output's rows, all its
 * channel blocks, into a per-thread scratch, and the pointwise tiles read the band back while it is in L1/L2: the
 * depthwise output (MobileNetV2's widest activations) never goes to memory, and the pair takes one pass of the
 * thread team instead of two.
 */
public final class BlockedSeparableConv implements Parallel.RangeBody {
    private static final int B = ChannelBlocks.SIZE;
    /** The largest band: it stays in the 1 MB L2 next to the pointwise weights it meets. */
    private static final int MAX_BAND_BYTES = 256 * 1024;
    private static final ThreadLocal<float[]> BAND = ThreadLocal.withInitial(() -> new float[0]);

    private final BlockedConv depthwise;
    private final BlockedConv pointwise;
    private final int outH, outW, middleBlocks, pairs;
    private final int bandRows, bands, pairGroups, pairsPerGroup, tasks;
    private final int bandFloats;

    private BlockedSeparableConv(BlockedConv depthwise, BlockedConv pointwise, int n, int outH, int outW,
                                 int middleChannels, int outChannels) {
        this.depthwise = depthwise;
        this.pointwise = pointwise;
        this.outH = outH;
        this.outW = outW;
        this.middleBlocks = ChannelBlocks.blocks(middleChannels);
        this.pairs = (ChannelBlocks.blocks(outChannels) + 1) / 2;
        int[] split = split(n, outH, outW, middleChannels, pairs, Parallel.threads());
        this.bandRows = split[0];
        this.pairsPerGroup = split[1];
        this.bands = (outH + bandRows - 1) / bandRows;
        this.pairGroups = (pairs + pairsPerGroup - 1) / pairsPerGroup;
        this.tasks = n * bands * pairGroups;
        this.bandFloats = middleBlocks * bandRows * outW * B;
    }

    /** Whether {@link #prepare} takes this pair: a 3×3 depthwise conv, then a 1×1 stride-1 conv of its output. */
    public static boolean supports(ConvSpec dw, ConvSpec pw) {
        return DepthwiseConv3x3.supports(dw) && pw.isPointwise() && pw.groups() == 1
                && pw.inChannels() == dw.outChannels();
    }

    /**
     * Checks the tensors and prepares the pair. {@code x}, {@code out} and {@code residual} (nullable) are blocked;
     * {@code dw} is a 3×3 depthwise conv, {@code pw} a 1×1 stride-1 conv of its output; biases may be null.
     *
     * @throws IllegalArgumentException naming the shapes when they do not fit the specs
     */
    public static BlockedSeparableConv prepare(ConvSpec dw, Tensor x, Tensor dwWeight, Tensor dwBias,
                                               Activation dwAct, ConvSpec pw, Tensor pwWeight,
                                               Tensor pwBias, Tensor residual, Tensor out,
                                               Activation pwAct) {
        String op = "BlockedSeparableConv";
        if (dw == null || pw == null || x == null || dwWeight == null || pwWeight == null || out == null
                || dwAct == null || pwAct == null) {
            throw new IllegalArgumentException(op + ": specs, x, weights, out and activations must not be null");
        }
        if (!supports(dw, pw)) {
            throw new IllegalArgumentException(op + ": needs a 3x3 depthwise conv then a 1x1 conv of its output, got "
                    + dw + " then " + pw);
        }
        if (x.rank() != 5) {
            throw new IllegalArgumentException(op + ": x must be blocked, got " + x.shapeString());
        }
        int[] logical = {x.dim(0), dw.inChannels(), x.dim(2), x.dim(3)};
        ChannelBlocks.require(op, "x", x, logical);
        int[] middle = dw.outputShape(logical);
        int[] outShape = pw.outputShape(middle);
        ConvOp.checkWeight(op, dw, dwWeight);
        ConvOp.checkBias(op, dw, dwBias, "dwBias");
        ConvOp.checkWeight(op, pw, pwWeight);
        ConvOp.checkBias(op, pw, pwBias, "pwBias");
        BlockedConv.checkOutput(op, x, residual, out, outShape);
        BlockedConv depthwise = new BlockedConv(BlockedConv.Kind.DEPTHWISE, dw, x.shape(), x.data(), dwWeight,
                dwBias, null, null, dwAct);
        BlockedConv pointwise = new BlockedConv(BlockedConv.Kind.POINTWISE, pw, ChannelBlocks.shape(middle), null,
                pwWeight, pwBias, residual, out.data(), pwAct);
        return new BlockedSeparableConv(depthwise, pointwise, x.dim(0), middle[2], middle[3], dw.outChannels(),
                pw.outChannels());
    }

    /**
     * Rows per band and output block pairs per task, for the shortest estimated run: the tasks' work (depthwise
     * rows, plus pointwise tiles of BlockedConv.TILE pixels, plus each task's read of its pointwise weights) times the rounds of
     * tasks the threads take. More groups of pairs recompute the band's depthwise rows; more bands re-read the
     * weights and waste more of the tiles at each band's end.
     */
    private static int[] split(int n, int outH, int outW, int middleChannels, int pairs, int threads) {
        int middleBlocks = ChannelBlocks.blocks(middleChannels);
        double best = Double.MAX_VALUE;
        int[] choice = {outH, pairs};
        for (int rows = 1; rows <= outH; rows++) {
            if (rows > 1 && 4L * middleBlocks * rows * outW * B > MAX_BAND_BYTES) {
                break;
            }
            int bands = (outH + rows - 1) / rows;
            int tiles = (rows * outW + BlockedConv.TILE - 1) / BlockedConv.TILE;
            for (int perGroup = 1; perGroup <= pairs; perGroup++) {
                int groups = (pairs + perGroup - 1) / perGroup;
                int tasks = n * bands * groups;
                // In vector FMAs. A depthwise output vector is 9 FMAs but measured 40-90 (26 Nov, MobileNetV2's
                // blocks at 1 thread), bound by reading its input: 100 here picks the split measured fastest for
                // each of MobileNetV2's pairs at 2 threads (960->320 at 7x7: 4 rows, every pair, 10-20% faster
                // than 7 rows and half the pairs, which recomputes the band). A weight vector from L3, ~4; a task,
                // ~2000.
                double depthwise = rows * outW * middleBlocks * 100.0;
                double pointwise = tiles * (double) BlockedConv.TILE * middleChannels * 2 * perGroup;
                double weights = 4.0 * middleChannels * 2 * perGroup;
                double task = depthwise + pointwise + weights + 2000;
                double time = Math.ceil((double) tasks / threads) * task;
                if (time < best) {
                    best = time;
                    choice = new int[] {rows, perGroup};
                }
            }
        }
        return choice;
    }

    /** Computes the output; allocates nothing once each thread's band scratch is as large as the largest band. */
    public void run() {
        Parallel.forRange(tasks, 1, this);
    }

    /** Runs tasks {@code [from, to)} on the calling thread; called by {@link Parallel}. */
    @Override
    public void run(int from, int to) {
        float[] band = BAND.get();
        if (band.length < bandFloats) {
            band = new float[bandFloats]; // once per thread and size
            BAND.set(band);
        }
        int blockStride = bandRows * outW * B;
        for (int t = from; t < to; t++) {
            int group = t % pairGroups;
            int rest = t / pairGroups;
            int img = rest / bands;
            int oy0 = (rest % bands) * bandRows, oy1 = Math.min(outH, oy0 + bandRows);
            for (int block = 0; block < middleBlocks; block++) {
                depthwise.depthwiseRows(img, block, oy0, oy1, band, block * blockStride, oy0);
            }
            int pair0 = group * pairsPerGroup;
            pointwise.pointwisePixels(band, -oy0 * outW * B, blockStride, img, oy0 * outW, oy1 * outW, pair0,
                    Math.min(pairs, pair0 + pairsPerGroup));
        }
    }

    /** Rows per band and output block pairs per task, as chosen for this shape and thread count (for tests). */
    int[] split() {
        return new int[] {bandRows, pairsPerGroup};
    }
}
