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
 * GEMM on the NCHW planes, anything else through im2col chunks; the training path is untouched.
 */
public final class FusedConv implements Parallel.RangeBody {
    /** The activation applied in the epilogue. */
    public enum Activation {
        NONE(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY), RELU(0f, Float.POSITIVE_INFINITY), RELU6(0f, 6f);

        final float lo;
        final float hi;

        Activation(float lo, float hi) {
            this.lo = lo;
            this.hi = hi;
        }
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

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
            tasks = geo.n * s.inChannels();
            grain = DepthwiseConv3x3.planeGrain(geo);
            return;
        }
        depthwiseJob = null;
        chunk = geo.columnChunk();
        chunks = (geo.outHW + chunk - 1) / chunk;
        int wanted = 2 * Parallel.threads();
        int blocks = 1;
        if (s.groups() == 1 && geo.n * chunks < wanted) {
            // Few pixels (late MobileNetV2 stages, batch 1): split the output channels too.
            blocks = Math.min((wanted + geo.n * chunks - 1) / (geo.n * chunks), (s.outChannels() + Gemm.MR - 1) / Gemm.MR);
        }
        int rows = (s.outChannels() + blocks - 1) / blocks;
        rowsPerBlock = s.groups() == 1 ? (rows + Gemm.MR - 1) / Gemm.MR * Gemm.MR : s.outPerGroup();
        rowBlocks = s.groups() == 1 ? (s.outChannels() + rowsPerBlock - 1) / rowsPerBlock : 1;
        tasks = geo.n * chunks * rowBlocks;
        grain = 1;
        packedW = s.groups() == 1 ? Gemm.packA(s.outChannels(), geo.kk, this.w, 0, geo.kk) : null;
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
            gemmTask(img, j0, Math.min(chunk, geo.outHW - j0), block);
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
