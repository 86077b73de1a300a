package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2-D convolution on NCHW tensors with OIHW weights, as {@code torch.nn.functional.conv2d}: any kernel, stride,
 * zero padding, dilation and groups; optional bias.
 *
 * <p>Paths, chosen by the spec: 3×3 depthwise convs (MobileNetV2, SegNet-DSC) run a direct vectorised kernel
 * ({@link DepthwiseConv3x3}); everything else is lowered to {@link Gemm}. A pointwise (1×1, stride 1, no padding)
 * conv needs no lowering at all: an NCHW image is already a {@code Cin×HW} matrix, so the conv is
 * {@code W[Cout×Cin]·X[Cin×HW]}. Other kernels are lowered through im2col, one chunk of output columns at a time
 * so the column buffer stays in cache (about 1 MB per thread, or 256 columns where that is more) instead of
 * growing with the image; when there are enough (image, chunk) tasks to share, the weights (for a pointwise
 * conv's input gradient, their transpose) are packed for the GEMM once per call rather than once per task.
 *
 * <p>The gradients have classes of their own: {@link ConvInputGradient} (for stride-1 convs, such as SegNet's, a
 * conv of gradOut with flipped weights, run through the forward's path) and {@link ConvWeightGradient} (where the
 * output channels are few for the plane width, on a channels-last copy of the input instead of transposing the
 * im2col matrix); Winograd convolution's are {@link NchwWinogradConv}'s.
 *
 * <p>Work is split over (image, column chunk) tasks that write disjoint outputs, so results do not depend on
 * scheduling. Weight gradients are summed over a fixed partition of the batch into one partial sum per thread,
 * added up in partition order: deterministic for a given thread count.
 */
public final class ConvOp {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Column chunk for pointwise convs: wide enough for the GEMM to amortise packing the weights. */
    private static final int POINTWISE_CHUNK = 1024;
    /** Floats in one thread's im2col buffer (1 MB). */
    static final int COLUMN_BUFFER_FLOATS = 1 << 18;

    static final ThreadLocal<float[][]> COLUMNS = ThreadLocal.withInitial(() -> new float[1][0]);
    /** The calling thread's packed weights ({@link Gemm#packA}), shared with {@link ConvInputGradient}. */
    static final ThreadLocal<float[][]> PACKED_WEIGHTS = ThreadLocal.withInitial(() -> new float[1][0]);
    /** Output columns per task of the packed-weight paths, when the plane has that many. */
    static final int PACKED_MIN_CHUNK = 256;

    private ConvOp() {
    }

    /** A per-thread scratch array of at least {@code size} floats from {@code holder}, grown once and reused. */
    static float[] scratch(ThreadLocal<float[][]> holder, int size) {
        float[][] h = holder.get();
        if (h[0].length < size) {
            h[0] = new float[size];
        }
        return h[0];
    }

    /**
     * {@code out = conv(x, weight) + bias}; {@code bias} may be null. Allocates nothing once warmed up. Direct
     * convolution only: {@link #forward(ConvSpec, Tensor, Tensor, Tensor, Tensor, WinogradPolicy)} may take
     * Winograd's path.
     */
    public static void forward(ConvSpec s, Tensor x, Tensor weight, Tensor bias, Tensor out) {
        forward(s, x, weight, bias, out, WinogradPolicy.NEVER);
    }

    /** As {@link #forward(ConvSpec, Tensor, Tensor, Tensor, Tensor)}, as a Winograd conv where {@code winograd} says. */
    public static void forward(ConvSpec s, Tensor x, Tensor weight, Tensor bias, Tensor out, WinogradPolicy winograd) {
        Geometry geo = checkCommon(s, x, weight, "conv forward");
        checkBias("conv", s, bias, "bias");
        requireOutputShape(out, "out", s, x, geo);
        requireDistinct(out, x, "out", "the input", s);
        if (DepthwiseConv3x3.supports(s)) {
            DepthwiseConv3x3.forward(s, geo, x.data(), weight.data(), bias == null ? null : bias.data(), out.data());
            return;
        }
        WinogradConv.Tile tile = winogradTile(winograd, s, geo.n, geo.inH, geo.inW);
        if (tile != null) {
            NchwWinogradConv.forward(s, tile, geo.n, geo.inH, geo.inW, x.data(), weight.data(),
                    bias == null ? null : bias.data(), out.data());
            return;
        }
        forwardGemm(s, geo, x.data(), weight.data(), bias == null ? null : bias.data(), out.data());
    }

    /** The policy's tile for this conv, or null for direct convolution (also where Winograd cannot compute it). */
    static WinogradConv.Tile winogradTile(WinogradPolicy winograd, ConvSpec s, int n, int h, int w) {
        return WinogradConv.supports(s) ? winograd.tile(s, n, h, w) : null;
    }

    /** The GEMM paths of {@link #forward}, on arrays: also the input gradient of a stride-1 conv. */
    static void forwardGemm(ConvSpec s, Geometry geo, float[] x, float[] w, float[] bias, float[] out) {
        ForwardJob job = FORWARD_JOBS.get();
        job.set(s, geo, x, w, bias, out);
        try {
            forTasks(geo.n * job.chunks, job);
        } finally {
            job.clear();
        }
    }

    private static final ThreadLocal<ForwardJob> FORWARD_JOBS = ThreadLocal.withInitial(ForwardJob::new);

    /** The forward tasks (image, column chunk) as a reusable body, one per calling thread: no allocation per call. */
    private static final class ForwardJob implements Parallel.RangeBody {
        ConvSpec s;
        Geometry geo;
        float[] x, w, bias, out;
        /** The weights packed once for the whole call (im2col convs with enough tasks to share), else null. */
        float[] packedW;
        int chunk, chunks;

        void set(ConvSpec s, Geometry geo, float[] x, float[] w, float[] bias, float[] out) {
            this.s = s;
            this.geo = geo;
            this.x = x;
            this.w = w;
            this.bias = bias;
            this.out = out;
            packedW = null;
            chunk = geo.columnChunk();
            chunks = (geo.outHW + chunk - 1) / chunk;
            int packedChunk = geo.packedColumnChunk();
            int packedChunks = (geo.outHW + packedChunk - 1) / packedChunk;
            if (s.groups() == 1 && geo.n * packedChunks >= 2 * Parallel.threads()) {
                // Every task multiplies the same weights: pack them once here, not once per task. Then a task
                // need not be small to amortise the packing, so take wide chunks (whole 16x16 or 32x32 planes).
                // Too few tasks to share (one image at inference) keep the per-task path, whose GEMM is parallel.
                chunk = packedChunk;
                chunks = packedChunks;
                int cout = s.outChannels();
                packedW = scratch(PACKED_WEIGHTS, Gemm.packedRows(cout) * geo.kk);
                Gemm.packA(false, cout, geo.kk, w, 0, geo.kk, packedW);
            }
        }

        void clear() {
            s = null;
            x = w = bias = out = packedW = null;
        }

        @Override
        public void run(int from, int to) {
            for (int t = from; t < to; t++) {
                int img = t / chunks;
                int j0 = (t % chunks) * chunk;
                int cols = Math.min(chunk, geo.outHW - j0);
                if (packedW != null) {
                    forwardColumnsPacked(s, geo, x, packedW, bias, out, img, j0, cols);
                } else {
                    forwardColumns(s, geo, x, w, bias, out, img, j0, cols);
                }
            }
        }
    }

    /** As {@link #forwardColumns} for one group, with the weights packed by {@link Gemm#packA}. */
    private static void forwardColumnsPacked(ConvSpec s, Geometry geo, float[] x, float[] packedW, float[] bias,
                                             float[] out, int img, int j0, int cols) {
        int cout = s.outChannels();
        int oOff = img * cout * geo.outHW + j0;
        int xOff = img * s.inChannels() * geo.inHW;
        if (geo.pointwise) {
            Gemm.matmulPackedAOnThisThread(0, cout, cout, cols, geo.kk, packedW, x, xOff + j0, geo.inHW,
                    out, oOff, geo.outHW);
        } else {
            float[] col = scratch(COLUMNS, geo.kk * cols);
            im2col(s, geo, x, xOff, s.inChannels(), j0, cols, col);
            Gemm.matmulPackedAOnThisThread(0, cout, cout, cols, geo.kk, packedW, col, 0, cols, out, oOff, geo.outHW);
        }
        addBias(s, geo, bias, out, img, j0, cols);
    }

    /** Output columns {@code [j0, j0 + cols)} of every channel of one image. */
    private static void forwardColumns(ConvSpec s, Geometry geo, float[] x, float[] w, float[] bias, float[] out,
                                       int img, int j0, int cols) {
        int cinG = s.inPerGroup(), coutG = s.outPerGroup(), kk = geo.kk;
        for (int g = 0; g < s.groups(); g++) {
            int xOff = (img * s.inChannels() + g * cinG) * geo.inHW;
            int oOff = (img * s.outChannels() + g * coutG) * geo.outHW + j0;
            if (geo.pointwise) {
                Gemm.matmul(false, false, coutG, cols, cinG, w, g * coutG * kk, kk, x, xOff + j0, geo.inHW,
                        out, oOff, geo.outHW, false);
            } else {
                float[] col = scratch(COLUMNS, kk * cols);
                im2col(s, geo, x, xOff, cinG, j0, cols, col);
                Gemm.matmul(false, false, coutG, cols, kk, w, g * coutG * kk, kk, col, 0, cols,
                        out, oOff, geo.outHW, false);
            }
        }
        addBias(s, geo, bias, out, img, j0, cols);
    }

    private static void addBias(ConvSpec s, Geometry geo, float[] bias, float[] out, int img, int j0, int cols) {
        if (bias != null) {
            for (int co = 0; co < s.outChannels(); co++) {
                int base = (img * s.outChannels() + co) * geo.outHW + j0;
                float b = bias[co];
                for (int j = 0; j < cols; j++) {
                    out[base + j] += b;
                }
            }
        }
    }

    /**
     * Gradients of {@link #forward}: {@code gradX} is overwritten, {@code gradW} and {@code gradB} are accumulated.
     * Each of them may be null to skip it. Direct convolution only, as the forward of the same arguments.
     */
    public static void backward(ConvSpec s, Tensor x, Tensor weight, Tensor gradOut,
                                Tensor gradX, Tensor gradW, Tensor gradB) {
        backward(s, x, weight, gradOut, gradX, gradW, gradB, WinogradPolicy.NEVER);
    }

    /**
     * As {@link #backward(ConvSpec, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)}, the input gradient (a conv of
     * gradOut) and the weight gradient computed by Winograd's method where {@code winograd} says.
     */
    public static void backward(ConvSpec s, Tensor x, Tensor weight, Tensor gradOut,
                                Tensor gradX, Tensor gradW, Tensor gradB, WinogradPolicy winograd) {
        Geometry geo = checkCommon(s, x, weight, "conv backward");
        requireOutputShape(gradOut, "gradOut", s, x, geo);
        if (gradX != null) {
            if (gradX.rank() != 4 || gradX.dim(0) != geo.n || gradX.dim(1) != s.inChannels()
                    || gradX.dim(2) != geo.inH || gradX.dim(3) != geo.inW) {
                requireShape(gradX, x.shape(), "gradX", s, x); // builds the shapes only to throw
            }
            requireDistinct(gradX, gradOut, "gradX", "gradOut", s);
            if (gradW != null) { // the input is read only for the weight gradient
                requireDistinct(gradX, x, "gradX", "the input", s);
            }
        }
        if (gradW != null && (gradW.rank() != 4 || gradW.dim(0) != s.outChannels()
                || gradW.dim(1) != s.inPerGroup() || gradW.dim(2) != s.kernelH() || gradW.dim(3) != s.kernelW())) {
            requireShape(gradW, s.weightShape(), "gradW", s, x);
        }
        checkBias("conv", s, gradB, "gradB");
        float[] gd = gradOut.data();
        if (gradB != null) {
            biasGradient(s, geo, gd, gradB.data());
        }
        if (DepthwiseConv3x3.supports(s)) {
            if (gradX != null || gradW != null) {
                DepthwiseConv3x3.backward(s, geo, x.data(), weight.data(), gd,
                        gradX == null ? null : gradX.data(), gradW == null ? null : gradW.data());
            }
            return;
        }
        if (gradX != null) {
            ConvInputGradient.inputGradient(s, geo, weight.data(), gd, gradX.data(), winograd);
        }
        if (gradW != null) {
            WinogradConv.Tile tile = winogradTile(winograd, s, geo.n, geo.inH, geo.inW);
            if (tile != null) {
                NchwWinogradConv.accumulateWeightGradient(s, tile, geo.n, geo.inH, geo.inW, x.data(), gd, gradW.data());
            } else {
                ConvWeightGradient.weightGradient(s, geo, x.data(), gd, gradW.data());
            }
        }
    }

    private static void biasGradient(ConvSpec s, Geometry geo, float[] g, float[] gradB) {
        int cout = s.outChannels();
        Parallel.forRange(cout, Math.max(1, 65536 / Math.max(1, geo.n * geo.outHW)), (from, to) -> {
            float[] lanes = LANES.get();
            for (int co = from; co < to; co++) {
                double sum = 0;
                for (int img = 0; img < geo.n; img++) {
                    sum += planeSum(g, (img * cout + co) * geo.outHW, geo.outHW, lanes);
                }
                gradB[co] += (float) sum;
            }
        });
    }

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[F.length()]);

    /**
     * Sum of {@code len} floats, vectorised: a scalar sum is one long chain of dependent adds (4 cycles each),
     * which made the bias gradient cost as much as the weight gradient of a small pointwise conv.
     */
    private static float planeSum(float[] a, int off, int len, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int end = F.loopBound(len); i < end; i += F.length()) {
            acc = acc.add(FloatVector.fromArray(F, a, off + i));
        }
        acc.intoArray(lanes, 0);
        float sum = 0;
        for (float v : lanes) {
            sum += v;
        }
        for (; i < len; i++) {
            sum += a[off + i];
        }
        return sum;
    }

    /**
     * Runs independent tasks on the pool when there are enough of them to share; otherwise one by one on this
     * thread, where the GEMM inside each is parallel instead.
     */
    static void forTasks(int tasks, Parallel.RangeBody body) {
        if (tasks >= 2 * Parallel.threads()) {
            Parallel.forRange(tasks, body);
        } else {
            body.run(0, tasks);
        }
    }

    private static final ThreadLocal<Geometry> GEOMETRIES = ThreadLocal.withInitial(Geometry::new);

    /** Sizes shared by the paths, computed once per call into a reused per-thread object. */
    static final class Geometry {
        int n, inH, inW, outH, outW, inHW, outHW, kk;
        boolean pointwise;

        Geometry set(ConvSpec s, Tensor x) {
            return set(s, x.dim(0), x.dim(2), x.dim(3));
        }

        Geometry set(ConvSpec s, int n, int inH, int inW) {
            this.n = n;
            this.inH = inH;
            this.inW = inW;
            outH = s.outputHeight(inH);
            outW = s.outputWidth(inW);
            inHW = inH * inW;
            outHW = outH * outW;
            kk = s.inPerGroup() * s.kernelH() * s.kernelW();
            pointwise = s.isPointwise();
            return this;
        }

        /**
         * Output columns per task when the weights are packed once per call: at least {@link #PACKED_MIN_CHUNK}
         * (so the GEMM's C tiles are wide and its k loop long) even where that takes a column buffer above 1 MB.
         */
        int packedColumnChunk() {
            int max = Math.max(PACKED_MIN_CHUNK, COLUMN_BUFFER_FLOATS / kk / Gemm.NR * Gemm.NR);
            int chunks = (outHW + max - 1) / max;
            // A small batch is cut finer so that every thread gets tasks (one 16x16 image: four 64-pixel chunks).
            int wanted = (2 * Parallel.threads() + n - 1) / n;
            if (chunks < wanted) {
                chunks = Math.min(wanted, (outHW + Gemm.NR - 1) / Gemm.NR);
            }
            int chunk = (outHW + chunks - 1) / chunks;
            chunk = (chunk + Gemm.NR - 1) / Gemm.NR * Gemm.NR;
            return Math.max(1, Math.min(chunk, outHW));
        }

        /** Output columns per task: bounded by the column buffer, and small enough to give every thread work. */
        int columnChunk() {
            int max = pointwise ? POINTWISE_CHUNK : Math.max(Gemm.NR, COLUMN_BUFFER_FLOATS / kk / Gemm.NR * Gemm.NR);
            int chunks = (outHW + max - 1) / max;
            // Split a small batch finer only if that gives every thread whole-width tasks; otherwise few tasks
            // run one after another and each GEMM is parallel inside (a 14x14 plane cut in three was 1.8x slower).
            int wanted = (2 * Parallel.threads() + n - 1) / n;
            if (chunks < wanted && outHW / wanted >= 2 * Gemm.NR) {
                chunks = wanted;
            }
            int chunk = (outHW + chunks - 1) / chunks;
            chunk = (chunk + Gemm.NR - 1) / Gemm.NR * Gemm.NR;
            return Math.max(1, Math.min(chunk, outHW));
        }
    }

    /**
     * Lays out the receptive fields of output pixels {@code [j0, j0 + cols)} over {@code cin} channels as rows
     * {@code (c, ky, kx)} by columns (pixels), zero where the kernel hangs over the padding.
     */
    static void im2col(ConvSpec s, Geometry geo, float[] x, int xOff, int cin, int j0, int cols, float[] col) {
        int kh = s.kernelH(), kw = s.kernelW(), sw = s.strideW();
        int row = 0;
        for (int c = 0; c < cin; c++) {
            int plane = xOff + c * geo.inHW;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++, row++) {
                    int dst = row * cols;
                    int oy = j0 / geo.outW, ox = j0 % geo.outW;
                    for (int j = 0; j < cols; oy++, ox = 0) {
                        int run = Math.min(geo.outW - ox, cols - j);
                        int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                        int ix0 = ox * sw - s.padW() + kx * s.dilationW();
                        if (iy < 0 || iy >= geo.inH) {
                            java.util.Arrays.fill(col, dst, dst + run, 0f);
                        } else {
                            // Pixels t with 0 <= ix0 + t*sw < inW read the input; the rest are padding.
                            int lo = Math.min(run, ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw);
                            int hi = Math.max(lo, Math.min(run, ix0 >= geo.inW ? 0 : (geo.inW - ix0 + sw - 1) / sw));
                            java.util.Arrays.fill(col, dst, dst + lo, 0f);
                            int src = plane + iy * geo.inW + ix0;
                            if (sw == 1) {
                                System.arraycopy(x, src + lo, col, dst + lo, hi - lo);
                            } else {
                                for (int t = lo; t < hi; t++) {
                                    col[dst + t] = x[src + t * sw];
                                }
                            }
                            java.util.Arrays.fill(col, dst + hi, dst + run, 0f);
                        }
                        j += run;
                        dst += run;
                    }
                }
            }
        }
    }

    /** Validates input and weight without allocating (messages are built only on failure; {@code what} names the op, a literal). */
    private static Geometry checkCommon(ConvSpec s, Tensor x, Tensor weight, String what) {
        if (s == null || x == null || weight == null) {
            throw new IllegalArgumentException(what + ": spec, input and weight must not be null");
        }
        if (!s.accepts(x.rank(), x.rank() > 1 ? x.dim(1) : -1, x.rank() == 4 ? x.dim(2) : 0,
                x.rank() == 4 ? x.dim(3) : 0)) {
            s.outputShape(x.shape()); // throws, naming the shapes
        }
        checkWeight(what, s, weight); // `what` is a constant: no string is built per call
        return GEOMETRIES.get().set(s, x);
    }

    /** Also {@link FusedConv}'s check, so both name a mis-shaped weight alike; {@code op} starts the message. */
    static void checkWeight(String op, ConvSpec s, Tensor weight) {
        if (weight.rank() != 4 || weight.dim(0) != s.outChannels() || weight.dim(1) != s.inPerGroup()
                || weight.dim(2) != s.kernelH() || weight.dim(3) != s.kernelW()) {
            throw new IllegalArgumentException(op + ": weight " + weight.shapeString() + " should be "
                    + Tensor.shapeString(s.weightShape()) + " for " + s);
        }
    }

    private static void requireOutputShape(Tensor t, String name, ConvSpec s, Tensor x, Geometry geo) {
        if (t == null || t.rank() != 4 || t.dim(0) != geo.n || t.dim(1) != s.outChannels() || t.dim(2) != geo.outH
                || t.dim(3) != geo.outW) {
            requireShape(t, s.outputShape(x.shape()), name, s, x);
        }
    }

    /** A conv reads its input while writing its output, so the two must not share an array. */
    private static void requireDistinct(Tensor written, Tensor read, String writtenName, String readName, ConvSpec s) {
        if (written.data() == read.data()) {
            throw new IllegalArgumentException("conv: " + writtenName + " " + written.shapeString()
                    + " shares its storage with " + readName + " " + read.shapeString() + "; in-place is not supported ("
                    + s + ")");
        }
    }

    /** A nullable bias (or its gradient) must hold one value per output channel; shared with {@link FusedConv}. */
    static void checkBias(String op, ConvSpec s, Tensor bias, String name) {
        if (bias != null && bias.size() != s.outChannels()) {
            throw new IllegalArgumentException(op + ": " + name + " " + bias.shapeString() + " should have "
                    + s.outChannels() + " elements for " + s);
        }
    }

    private static void requireShape(Tensor t, int[] expected, String name, ConvSpec s, Tensor x) {
        if (t == null) {
            throw new IllegalArgumentException("conv: " + name + " must not be null");
        }
        if (!t.hasShape(expected)) {
            throw new IllegalArgumentException("conv: " + name + " " + t.shapeString() + " should be "
                    + Tensor.shapeString(expected) + " for input " + x.shapeString() + " and " + s);
        }
    }
}

