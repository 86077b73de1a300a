package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The light ops of a planned inference pass, bound once to fixed tensors: each returned {@link Runnable} runs the
 * same loops as the public op (pooling, unpooling, global average pooling, BatchNorm in eval mode, add, linear,
 * upsampling, channel concat) but is its own pre-built loop body, so running it allocates nothing on any thread.
 * One exception: linear at batch 1 has a matrix-vector loop of its own ({@link MatVec}). Shapes are checked here,
 * once; see {@link FusedConv} for the conv.
 */
public final class PreparedOps {
    private PreparedOps() {
    }

    /** {@link PoolOp#maxPool}, indices required (the matching unpool reads them). */
    public static Runnable maxPool(Tensor x, int kernel, int stride, Tensor out, int[] indices) {
        int[] expected = PoolOp.maxPoolOutputShape(x.shape(), kernel, stride);
        require("PreparedOps.maxPool", out, expected, "out");
        if (indices == null || indices.length != out.size()) {
            throw new IllegalArgumentException("PreparedOps.maxPool: indices must have " + out.size() + " elements");
        }
        return new PreparedLoop(x.n() * x.c(), PoolOp.grain(x.h() * x.w())) {
            @Override
            public void run(int from, int to) {
                PoolOp.maxPoolPlanes(x.data(), x.h(), x.w(), kernel, stride, out.data(), expected[2], expected[3],
                        indices, from, to);
            }
        };
    }

    /** {@link PoolOp#maxUnpool}: {@code out} has the pre-pool shape. */
    public static Runnable maxUnpool(Tensor x, int[] indices, Tensor out) {
        if (x.rank() != 4 || out.rank() != 4 || x.n() != out.n() || x.c() != out.c()
                || indices == null || indices.length != x.size()) {
            throw new IllegalArgumentException("PreparedOps.maxUnpool: x " + x.shapeString() + ", out "
                    + out.shapeString() + " and " + (indices == null ? "no" : indices.length) + " indices do not fit");
        }
        int inPlane = x.h() * x.w();
        int outPlane = out.h() * out.w();
        return new PreparedLoop(x.n() * x.c(), PoolOp.grain(outPlane)) {
            @Override
            public void run(int from, int to) {
                PoolOp.maxUnpoolPlanes(x.data(), inPlane, indices, out, outPlane, from, to);
            }
        };
    }

    /** {@link PoolOp#globalAvgPool} into {@code [N, C, 1, 1]} or {@code [N, C]}. */
    public static Runnable globalAvgPool(Tensor x, Tensor out) {
        if (x.rank() != 4 || out.size() != x.n() * x.c()) {
            throw new IllegalArgumentException("PreparedOps.globalAvgPool: x " + x.shapeString() + ", out "
                    + out.shapeString());
        }
        int plane = x.h() * x.w();
        return new PreparedLoop(x.n() * x.c(), PoolOp.grain(plane)) {
            @Override
            public void run(int from, int to) {
                PoolOp.globalAvgPoolPlanes(x.data(), plane, out.data(), from, to);
            }
        };
    }

    /** {@link BatchNormOp#forwardEval} with the statistics folded to a scale and a shift per channel, now. */
    public static Runnable batchNormEval(Tensor x, float[] gamma, float[] beta, float[] runningMean,
                                         float[] runningVar, float eps, Tensor out) {
        require("PreparedOps.batchNormEval", out, x.shape(), "out");
        int channels = x.c();
        if (runningMean.length != channels || runningVar.length != channels
                || (gamma != null && gamma.length != channels) || (beta != null && beta.length != channels)) {
            throw new IllegalArgumentException("PreparedOps.batchNormEval: per-channel arrays must have " + channels
                    + " elements for x " + x.shapeString());
        }
        int plane = x.size() / (x.n() * channels);
        float[] scale = new float[channels];
        float[] shift = new float[channels];
        for (int c = 0; c < channels; c++) {
            // The same float arithmetic as forwardEval, so both paths agree bit for bit.
            float invStd = (float) (1.0 / Math.sqrt(runningVar[c] + (double) eps));
            scale[c] = (gamma == null ? 1f : gamma[c]) * invStd;
            shift[c] = (beta == null ? 0f : beta[c]) - runningMean[c] * scale[c];
        }
        return new PreparedLoop(x.n() * channels, PoolOp.grain(plane)) {
            @Override
            public void run(int from, int to) {
                for (int p = from; p < to; p++) {
                    int c = p % channels;
                    BatchNormOp.scaleShift(x.data(), out.data(), p * plane, plane, scale[c], shift[c]);
                }
            }
        };
    }

    /** {@link ElementwiseOp#add}. */
    public static Runnable add(Tensor a, Tensor b, Tensor out) {
        require("PreparedOps.add", b, a.shape(), "b");
        require("PreparedOps.add", out, a.shape(), "out");
        return new PreparedLoop(a.size(), ElementwiseOp.GRAIN) {
            @Override
            public void run(int from, int to) {
                ElementwiseOp.addRange(a.data(), b.data(), out.data(), from, to);
            }
        };
    }

    /**
     * {@link LinearOp#forward}. At batch 1 (a classifier) it is a matrix-vector product that reads every weight
     * once for one multiply-add: {@link MatVec}, split across the team. Larger batches go through the GEMM.
     */
    public static Runnable linear(Tensor x, Tensor weight, Tensor bias, Tensor out) {
        int batch = x.dim(0), in = x.dim(1), outFeatures = weight.dim(0);
        require("PreparedOps.linear", weight, new int[] {outFeatures, in}, "weight");
        require("PreparedOps.linear", out, new int[] {batch, outFeatures}, "out");
        if (bias != null && bias.size() != outFeatures) {
            throw new IllegalArgumentException("PreparedOps.linear: bias " + bias.shapeString() + " for "
                    + outFeatures + " outputs");
        }
        if (batch == 1) {
            return new MatVec(x.data(), weight.data(), bias == null ? null : bias.data(), out.data(), in, outFeatures);
        }
        return () -> {
            float[] os = out.data();
            Gemm.matmul(false, true, batch, outFeatures, in, x.data(), 0, in, weight.data(), 0, in, os, 0,
                    outFeatures, false);
            if (bias != null) {
                float[] bs = bias.data();
                for (int n = 0; n < batch; n++) {
                    for (int o = 0; o < outFeatures; o++) {
                        os[n * outFeatures + o] += bs[o];
                    }
                }
            }
        };
    }

    /** {@link UpsampleOp#bilinear}, its interpolation tables computed now. */
    public static Runnable bilinear(Tensor x, Tensor out) {
        UpsampleOp.checkPair("PreparedOps.bilinear", "x", x, "out", out);
        UpsampleOp.Linear rows = new UpsampleOp.Linear(x.h(), out.h());
        UpsampleOp.Linear cols = new UpsampleOp.Linear(x.w(), out.w());
        return new PreparedLoop(x.n() * x.c(), UpsampleOp.grain(out.h() * out.w())) {
            @Override
            public void run(int from, int to) {
                UpsampleOp.bilinearPlanes(x.data(), x.h(), x.w(), rows, cols, out.data(), out.h(), out.w(), from, to);
            }
        };
    }

    /** {@link UpsampleOp#nearest}, its source indices computed now. */
    public static Runnable nearest(Tensor x, Tensor out) {
        UpsampleOp.checkPair("PreparedOps.nearest", "x", x, "out", out);
        int[] srcH = UpsampleOp.nearestIndices(x.h(), out.h());
        int[] srcW = UpsampleOp.nearestIndices(x.w(), out.w());
        return new PreparedLoop(x.n() * x.c(), UpsampleOp.grain(out.h() * out.w())) {
            @Override
            public void run(int from, int to) {
                UpsampleOp.nearestPlanes(x.data(), x.h(), x.w(), srcH, srcW, out.data(), out.h(), out.w(), from, to);
            }
        };
    }

    /** {@link ElementwiseOp#concatChannels}: plain copies on the calling thread. */
    public static Runnable concatChannels(Tensor[] inputs, Tensor out) {
        Tensor[] parts = inputs.clone();
        int plane = ElementwiseOp.checkChannelParts("PreparedOps.concatChannels", "inputs", parts, "out", out);
        return () -> ElementwiseOp.copyChannels(parts, out, plane, true);
    }

    private static void require(String op, Tensor t, int[] shape, String name) {
        if (t == null || !t.hasShape(shape)) {
            throw new IllegalArgumentException(op + ": " + name + " " + (t == null ? "null" : t.shapeString())
                    + " should be " + Arrays.toString(shape));
        }
    }

    /**
     * {@code out = W·x + bias} for one input row, parallel over output rows. It streams the whole weight once, so
     * it is bound by memory bandwidth: one thread reading MobileNetV2's 5 MB classifier took ~210 us (~25 GB/s);
     * splitting the rows across the team adds the other cores' bandwidth. Rows are read one after the other, so
     * each task's weights are one sequential stream: taking four rows at a time (four short streams, sharing the
     * loads of x) was ~15% slower from DRAM on one thread. Each output is one row's dot product in a fixed order,
     * so the result does not depend on the thread count.
     */
    private static final class MatVec extends PreparedLoop {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
        private static final int L = S.length();
        /** Lane sums, per thread: stored rather than reduceLanes, which JDK 17's C2 may not intrinsify. */
        private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[L]);
        /** Rows per task at least: about 64 KB of weights, so a task outweighs the hand-off. */
        private static final int MIN_TASK_FLOATS = 1 << 14;

        private final float[] x;
        private final float[] w;
        private final float[] bias;
        private final float[] out;
        private final int in;

        MatVec(float[] x, float[] w, float[] bias, float[] out, int in, int rows) {
            super(rows, Math.max(1, MIN_TASK_FLOATS / Math.max(1, in)));
            this.x = x;
            this.w = w;
            this.bias = bias;
            this.out = out;
            this.in = in;
        }

        @Override
        public void run(int from, int to) {
            float[] lanes = LANES.get();
            for (int o = from; o < to; o++) {
                out[o] = dot(o * in, lanes) + (bias == null ? 0f : bias[o]);
            }
        }

        /** The row starting at {@code row} times x, with four accumulators to hide the latency of the adds. */
        private float dot(int row, float[] lanes) {
            FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
            int p = 0;
            for (; p + 4 * L <= in; p += 4 * L) {
                c0 = FloatVector.fromArray(S, w, row + p).fma(FloatVector.fromArray(S, x, p), c0);
                c1 = FloatVector.fromArray(S, w, row + p + L).fma(FloatVector.fromArray(S, x, p + L), c1);
                c2 = FloatVector.fromArray(S, w, row + p + 2 * L).fma(FloatVector.fromArray(S, x, p + 2 * L), c2);
                c3 = FloatVector.fromArray(S, w, row + p + 3 * L).fma(FloatVector.fromArray(S, x, p + 3 * L), c3);
            }
            for (; p + L <= in; p += L) {
                c0 = FloatVector.fromArray(S, w, row + p).fma(FloatVector.fromArray(S, x, p), c0);
            }
            c0.add(c1).add(c2.add(c3)).intoArray(lanes, 0);
            float sum = 0f;
            for (int l = 0; l < L; l++) {
                sum += lanes[l];
            }
            for (; p < in; p++) {
                sum += w[row + p] * x[p];
            }
            return sum;
        }
    }

}
