package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inference conv: {@code out = act(conv(x, weight) + bias [+ residual])} for tensors fixed once, run many
 * times. Built for planned inference (BatchNorm already folded into weight and bias): shapes are checked and the
 * work split is decided when it is prepared, and {@link #run()} allocates nothing, on any thread — the object is
 * its own loop body for {@link Parallel#forRange}.
 *
 * <p>The epilogue (bias, residual, ReLU/ReLU6) runs on each task's block of output right after the kernel wrote
 * it, while it is still in cache, instead of in separate passes over the whole tensor. The depthwise 3×3 kernel
 * clamps in its own stores. Same kernels as {@link ConvOp#forward}: 3×3 depthwise planes, pointwise convs as a
 * GEMM on the NCHW planes, anything else through im2col chunks; the training path is untouched. One path of its
 * own: pointwise convs with at most {@link #FEW_OUTPUTS} outputs skip the GEMM (see {@link #fewOutputsTask}).
 */
public final class FusedConv implements Parallel.RangeBody {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Pointwise convs with at most this many output channels (less than one GEMM tile) skip the GEMM. */
    static final int FEW_OUTPUTS = Gemm.MR;
    /** Output channels per pass of the few-outputs kernel. */
    private static final int QUAD = 4;
    /**
     * Input channels per sweep of the few-outputs kernel. Its loads walk one NCHW plane per input channel; with
     * a power-of-two plane (128x128 floats = 64 KB) the lines of all 64 planes fall in the same cache sets and
     * evict each other; eight planes at a time keep within the ways: 64 to 3 at 128x128 on one thread took
     * ~106 us instead of ~131.
     */
    private static final int CI_BLOCK = 8;

    private final ConvSpec s;
    private final ConvOp.Geometry geo;
    private final float[] x;
    private final float[] w;
    private final float[] bias;
    private final float[] residual;
    private final float[] out;
    private final float lo;
    private final float hi;
    private final boolean depthwise;
    /** The depthwise kernel's own reusable body, configured once with this conv's clamp. */
    private final DepthwiseConv3x3.ForwardJob depthwiseJob;
    private final int tasks;
    private final int grain;
    // GEMM paths: tasks are (image, column chunk, row block).
    private final int chunk;
    private final int chunks;
    private final int rowsPerBlock;
    private final int rowBlocks;
    /** The weights packed once for the GEMM (groups 1), instead of re-packed on every run; null otherwise. */
    private final float[] packedW;
    /**
     * For pointwise convs with few outputs ({@link #fewOutputsTask}): the weights as groups of {@link #QUAD}
     * output channels, each stored input-channel-major ({@code QUAD} values per input channel), zero-padded to
     * whole groups; null otherwise.
     */
    private final float[] quadW;

    private FusedConv(ConvSpec s, Tensor x, Tensor w, Tensor bias, Tensor residual, Tensor out, Activation act) {
        this.s = s;
        this.geo = new ConvOp.Geometry().set(s, x);
        this.x = x.data();
        this.w = w.data();
        this.bias = bias == null ? null : bias.data();
        this.residual = residual == null ? null : residual.data();
        this.out = out.data();
        this.lo = act.lo;
        this.hi = act.hi;
        this.depthwise = DepthwiseConv3x3.supports(s);
        if (depthwise) {
            boolean plain = residual == null;
            depthwiseJob = new DepthwiseConv3x3.ForwardJob();
            depthwiseJob.set(s, geo, this.x, this.w, this.bias, this.out, plain ? lo : Float.NEGATIVE_INFINITY,
                    plain ? hi : Float.POSITIVE_INFINITY);
            chunk = chunks = rowsPerBlock = rowBlocks = 1;
            packedW = null;
            quadW = null;
            tasks = depthwiseJob.tasks();
            grain = depthwiseJob.grain();
            return;
        }
        depthwiseJob = null;
        chunk = geo.columnChunk();
        chunks = (geo.outHW + chunk - 1) / chunk;
        int wanted = 2 * Parallel.threads();
        int blocks = 1;
        boolean few = geo.pointwise && s.groups() == 1 && s.outChannels() <= FEW_OUTPUTS;
        if (s.groups() == 1 && geo.n * chunks < wanted && !few) {
            // Few pixels (late MobileNetV2 stages, batch 1): split the output channels too.
            blocks = Math.min((wanted + geo.n * chunks - 1) / (geo.n * chunks), (s.outChannels() + Gemm.MR - 1) / Gemm.MR);
        }
        int rows = (s.outChannels() + blocks - 1) / blocks;
        rowsPerBlock = s.groups() == 1 ? (rows + Gemm.MR - 1) / Gemm.MR * Gemm.MR : s.outPerGroup();
        rowBlocks = s.groups() == 1 ? (s.outChannels() + rowsPerBlock - 1) / rowsPerBlock : 1;
        tasks = geo.n * chunks * rowBlocks;
        grain = 1;
        packedW = s.groups() == 1 && !few ? Gemm.packA(s.outChannels(), geo.kk, this.w, 0, geo.kk) : null;
        quadW = few ? quads(this.w, s.outChannels(), s.inChannels()) : null;
    }

    /** The layout of {@link #quadW}. */
    private static float[] quads(float[] w, int cout, int cin) {
        int groups = (cout + QUAD - 1) / QUAD;
        float[] q = new float[groups * cin * QUAD];
        for (int co = 0; co < cout; co++) {
            for (int ci = 0; ci < cin; ci++) {
                q[((co / QUAD) * cin + ci) * QUAD + co % QUAD] = w[co * cin + ci];
            }
        }
        return q;
    }

    /**
     * Checks the tensors and prepares the conv; {@code bias} and {@code residual} (shaped as {@code out}) may be null.
     *
     * @throws IllegalArgumentException naming the shapes when they do not fit the spec
     */
    public static FusedConv prepare(ConvSpec spec, Tensor x, Tensor weight, Tensor bias, Tensor residual, Tensor out,
                                    Activation act) {
        String op = "FusedConv";
        if (spec == null || x == null || weight == null || out == null || act == null) {
            throw new IllegalArgumentException(op + ": spec, x, weight, out and act must not be null");
        }
        int[] outShape = spec.outputShape(x.shape());
        ConvOp.checkWeight(op, spec, weight);
        ConvOp.checkBias(op, spec, bias, "bias");
        if (!out.hasShape(outShape) || (residual != null && !residual.hasShape(outShape))) {
            throw new IllegalArgumentException(op + ": out " + out.shapeString()
                    + (residual == null ? "" : " and residual " + residual.shapeString()) + " should be "
                    + Tensor.shapeString(outShape) + " for input " + x.shapeString() + " and " + spec);
        }
        if (out.data() == x.data() || (residual != null && residual.data() == out.data())) {
            throw new IllegalArgumentException(op + ": out must not share its array with x or residual");
        }
        return new FusedConv(spec, x, weight, bias, residual, out, act);
    }

    /** Computes the output; allocates nothing. */
    public void run() {
        Parallel.forRange(tasks, grain, this);
    }

    /** Runs tasks {@code [from, to)} on the calling thread; called by {@link Parallel}. */
    @Override
    public void run(int from, int to) {
        if (depthwise) {
            depthwiseJob.run(from, to);
            if (residual != null) {
                for (int p = from; p < to; p++) {
                    epilogue(p * geo.outHW, geo.outHW, 0f);
                }
            }
            return;
        }
        for (int t = from; t < to; t++) {
            int block = t % rowBlocks;
            int rest = t / rowBlocks;
            int img = rest / chunks;
            int j0 = (rest % chunks) * chunk;
            if (quadW != null) {
                fewOutputsTask(img, j0, Math.min(chunk, geo.outHW - j0));
            } else {
                gemmTask(img, j0, Math.min(chunk, geo.outHW - j0), block);
            }
        }
    }

    /** Output columns {@code [j0, j0 + cols)} of one image, for one block of output channels (or every group). */
    private void gemmTask(int img, int j0, int cols, int block) {
        int cinG = s.inPerGroup(), coutG = s.outPerGroup(), kk = geo.kk;
        int groups = s.groups();
        for (int g = 0; g < groups; g++) {
            int r0 = groups == 1 ? block * rowsPerBlock : 0;
            int rows = groups == 1 ? Math.min(rowsPerBlock, s.outChannels() - r0) : coutG;
            int xOff = (img * s.inChannels() + g * cinG) * geo.inHW;
            int co0 = g * coutG + r0;
            int oOff = (img * s.outChannels() + co0) * geo.outHW + j0;
            if (packedW != null) {
                float[] b = x;
                int bOff = xOff + j0, ldb = geo.inHW;
                if (!geo.pointwise) {
                    b = ConvOp.scratch(ConvOp.COLUMNS, kk * cols);
                    ConvOp.im2col(s, geo, x, xOff, cinG, j0, cols, b);
                    bOff = 0;
                    ldb = cols;
                }
                // C's row 0 is output channel 0 of this image.
                Gemm.matmulPackedAOnThisThread(r0, r0 + rows, s.outChannels(), cols, kk, packedW, b, bOff, ldb,
                        out, img * s.outChannels() * geo.outHW + j0, geo.outHW);
            } else if (geo.pointwise) {
                Gemm.matmulOnThisThread(false, false, rows, cols, cinG, w, co0 * kk, kk, x, xOff + j0, geo.inHW,
                        out, oOff, geo.outHW, false);
            } else {
                float[] col = ConvOp.scratch(ConvOp.COLUMNS, kk * cols);
                ConvOp.im2col(s, geo, x, xOff, cinG, j0, cols, col);
                Gemm.matmulOnThisThread(false, false, rows, cols, kk, w, co0 * kk, kk, col, 0, cols,
                        out, oOff, geo.outHW, false);
            }
            for (int co = co0; co < co0 + rows; co++) {
                epilogue((img * s.outChannels() + co) * geo.outHW + j0, cols, bias == null ? 0f : bias[co]);
            }
        }
    }

    /**
     * Pixels {@code [j0, j0 + cols)} of one image for a pointwise conv with few output channels, such as a
     * segmentation head (64 to 3 channels at 128x128). The GEMM would pad those rows to a whole 8-row tile, copy
     * the input into its packed strips (as much copying as for 64 outputs) and write each tile through a scratch
     * tile: 64 to 3 took as long as 64 to 8 (~220 us on one thread; ~106 us here). Each input vector is read once
     * from memory and multiplied into four output channels at a time (the GEMM's order of sums over inputs).
     */
    private void fewOutputsTask(int img, int j0, int cols) {
        int cin = s.inChannels(), cout = s.outChannels(), hw = geo.outHW;
        int xAt = img * cin * hw + j0;
        int oAt = img * cout * hw + j0;
        int vectorCols = cols / (2 * L) * (2 * L);
        for (int ci0 = 0; ci0 < cin; ci0 += CI_BLOCK) {
            int ci1 = Math.min(cin, ci0 + CI_BLOCK);
            for (int j = 0; j < vectorCols; j += 2 * L) {
                for (int co = 0; co < cout; co += QUAD) {
                    quadTwoVectors(xAt + j, oAt + j, co, ci0, ci1, cin, hw, Math.min(QUAD, cout - co));
                }
            }
        }
        for (int j = vectorCols; j < cols; j++) {
            for (int co = 0; co < cout; co++) {
                int wAt = (co / QUAD) * cin * QUAD + co % QUAD;
                float sum = 0f;
                for (int ci = 0; ci < cin; ci++) {
                    sum = Math.fma(x[xAt + j + ci * hw], quadW[wAt + ci * QUAD], sum);
                }
                out[oAt + j + co * hw] = sum;
            }
        }
        for (int co = 0; co < cout; co++) {
            epilogue(oAt + co * hw, cols, bias == null ? 0f : bias[co]);
        }
    }

    /**
     * Output channels {@code co..co+rows-1} ({@code rows <= QUAD}) at 2L pixels from {@code xAt}/{@code oAt}, summed
     * over input channels {@code [ci0, ci1)}: started from zero for the first block, else from what out holds.
     */
    private void quadTwoVectors(int xAt, int oAt, int co, int ci0, int ci1, int cin, int hw, int rows) {
        int at = oAt + co * hw;
        FloatVector a0, a1, a2, a3, b0, b1, b2, b3;
        if (ci0 == 0) {
            a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = FloatVector.zero(S);
        } else {
            // Padded rows beyond `rows` were never stored; their sums are not used, so they restart from zero.
            FloatVector zero = FloatVector.zero(S);
            a0 = FloatVector.fromArray(S, out, at);
            b0 = FloatVector.fromArray(S, out, at + L);
            a1 = rows > 1 ? FloatVector.fromArray(S, out, at + hw) : zero;
            b1 = rows > 1 ? FloatVector.fromArray(S, out, at + hw + L) : zero;
            a2 = rows > 2 ? FloatVector.fromArray(S, out, at + 2 * hw) : zero;
            b2 = rows > 2 ? FloatVector.fromArray(S, out, at + 2 * hw + L) : zero;
            a3 = rows > 3 ? FloatVector.fromArray(S, out, at + 3 * hw) : zero;
            b3 = rows > 3 ? FloatVector.fromArray(S, out, at + 3 * hw + L) : zero;
        }
        int wAt = co * cin + ci0 * QUAD; // group co / QUAD starts at (co / QUAD) * cin * QUAD = co * cin
        xAt += ci0 * hw;
        for (int ci = ci0; ci < ci1; ci++, wAt += QUAD, xAt += hw) {
            FloatVector xa = FloatVector.fromArray(S, x, xAt);
            FloatVector xb = FloatVector.fromArray(S, x, xAt + L);
            FloatVector w0 = FloatVector.broadcast(S, quadW[wAt]);
            FloatVector w1 = FloatVector.broadcast(S, quadW[wAt + 1]);
            FloatVector w2 = FloatVector.broadcast(S, quadW[wAt + 2]);
            FloatVector w3 = FloatVector.broadcast(S, quadW[wAt + 3]);
            a0 = xa.fma(w0, a0);
            b0 = xb.fma(w0, b0);
            a1 = xa.fma(w1, a1);
            b1 = xb.fma(w1, b1);
            a2 = xa.fma(w2, a2);
            b2 = xb.fma(w2, b2);
            a3 = xa.fma(w3, a3);
            b3 = xb.fma(w3, b3);
        }
        a0.intoArray(out, at);
        b0.intoArray(out, at + L);
        if (rows > 1) {
            a1.intoArray(out, at + hw);
            b1.intoArray(out, at + hw + L);
        }
        if (rows > 2) {
            a2.intoArray(out, at + 2 * hw);
            b2.intoArray(out, at + 2 * hw + L);
        }
        if (rows > 3) {
            a3.intoArray(out, at + 3 * hw);
            b3.intoArray(out, at + 3 * hw + L);
        }
    }

    /** {@code out[i] = clamp(out[i] + b + residual[i])} over {@code [at, at + len)}: one pass while it is hot. */
    private void epilogue(int at, int len, float b) {
        FloatVector bv = FloatVector.broadcast(S, b);
        FloatVector low = FloatVector.broadcast(S, lo), high = FloatVector.broadcast(S, hi);
        int end = at + len;
        int bound = at + S.loopBound(len);
        int i = at;
        if (residual == null) {
            for (; i < bound; i += S.length()) {
                FloatVector.fromArray(S, out, i).add(bv).max(low).min(high).intoArray(out, i);
            }
            for (; i < end; i++) {
                out[i] = Math.min(Math.max(out[i] + b, lo), hi);
            }
        } else {
            for (; i < bound; i += S.length()) {
                FloatVector.fromArray(S, out, i).add(bv).add(FloatVector.fromArray(S, residual, i))
                        .max(low).min(high).intoArray(out, i);
            }
            for (; i < end; i++) {
                out[i] = Math.min(Math.max(out[i] + b + residual[i], lo), hi);
            }
        }
    }
}
