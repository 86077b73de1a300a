package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The direct kernel for 3×3 depthwise convs (one filter per channel, stride 1 or 2, any padding), where
 * MobileNetV2 and SegNet-DSC spend much of their time. A GEMM cannot help here: each output reads 9 inputs
 * with 9 weights, so the work is memory-bound and the kernel must stream planes once, vectorised along W.
 *
 * <p>Borders are made branch-free by copying each input plane into a zero-padded per-thread buffer, so the
 * inner loop is 9 shifted vector loads and 9 FMAs. At stride 1 the padded rows have no slack between them and
 * the whole plane is one flat loop (the two wrapped columns per row are computed and dropped). At stride 2 along W
 * each padded row is split once into its even and odd columns, so only the needed outputs are computed, again
 * from contiguous vector loads. The input gradient is computed as a
 * gather too (the gradient zero-stuffed for the stride, convolved with the flipped filter, again one flat loop),
 * so no two lanes ever write the same element.
 */
final class DepthwiseConv3x3 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Per thread: [0] the padded input plane, [1] the zero-stuffed gradient plane, [2] an output row or plane. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(
            () -> new float[][] {new float[0], new float[0], new float[0]});

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[9 * L]);

    private DepthwiseConv3x3() {
    }

    static boolean supports(ConvSpec s) {
        return s.isDepthwise() && s.kernelH() == 3 && s.kernelW() == 3 && s.dilationH() == 1
                && s.dilationW() == 1 && s.strideH() <= 2 && s.strideW() <= 2;
    }

    private static float[] buffer(int which, int size) {
        float[][] b = BUFFERS.get();
        if (b[which].length < size) {
            b[which] = new float[size];
        }
        return b[which];
    }

    private static int roundUp(int v) {
        return (v + L - 1) / L * L;
    }

    /** Row stride of the padded input: the padded width plus one vector of slack for the last full-vector loads. */
    private static int paddedRowStride(ConvSpec s, ConvOp.Geometry geo) {
        return geo.inW + 2 * s.padW() + L;
    }

    static void forward(ConvSpec s, ConvOp.Geometry geo, float[] x, float[] w, float[] bias, float[] out) {
        ForwardJob job = FORWARD_JOBS.get();
        job.set(s, geo, x, w, bias, out, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
        try {
            Parallel.forRange(job.tasks(), job.grain(), job);
        } finally {
            job.clear();
        }
    }

    /** Planes per task: enough outputs to pay for a task. */
    private static int planeGrain(ConvOp.Geometry geo) {
        return Math.max(1, 16384 / Math.max(1, geo.outHW));
    }

    /**
     * Floats of a stack of small planes (see {@link #stackedImages}): enough to pay for the calls a stack costs, and
     * no more float-lane partial sums in the weight gradient than a single 64×64 plane has.
     */
    private static final int STACK_FLOATS = 4096;

    /**
     * How many images' planes of one channel go into one tall plane, a divisor of the batch. A small plane (MobileNetV2
     * ends at 8×8 and 4×4) costs more in per-plane calls (row copies, broadcasting the filter, reducing the weight
     * gradient's lanes) than in arithmetic: 960 channels of 4×4 took 6 ns per output against 1.3 at 64×64. Stacked
     * {@link #pitch} rows apart, with zero rows between them, the planes of one channel are one tall image whose
     * convolution holds each image's outputs {@code pitch / stride} rows apart, so the flat loops below run once per
     * stack. 1 where a plane is big enough alone or the outputs of stacked planes would overlap.
     */
    static int stackedImages(ConvSpec s, ConvOp.Geometry geo, int rowStride) {
        int pitch = pitch(s, geo);
        if (geo.outH > pitch / s.strideH()) {
            return 1;
        }
        int images = Math.max(1, Math.min(geo.n, STACK_FLOATS / (pitch * rowStride)));
        while (geo.n % images != 0) {
            images--;
        }
        return images;
    }

    /**
     * Rows from one stacked image to the next: its rows and at least its top padding's worth of zero rows (so no
     * output reads two images), rounded up to the stride (so every image's outputs start at an output row).
     */
    private static int pitch(ConvSpec s, ConvOp.Geometry geo) {
        int rows = geo.inH + s.padH();
        return (rows + s.strideH() - 1) / s.strideH() * s.strideH();
    }

    /** Height of the tall image of {@code images} stacked planes. */
    private static int tallHeight(ConvSpec s, ConvOp.Geometry geo, int images) {
        return (images - 1) * pitch(s, geo) + geo.inH;
    }

    /**
     * Copies the input planes of channel {@code c} of images {@code [img0, img0 + images)} into their places in a
     * padded tall plane of row stride {@code rs}. Writes only the images' own positions: the padding and the rows
     * between images must already be zero, and stay so because every stack of a call has the same positions.
     */
    private static void padStack(ConvSpec s, ConvOp.Geometry geo, float[] x, int c, int channels, int img0,
                                 int images, float[] padded, int rs) {
        int pitch = pitch(s, geo);
        for (int k = 0; k < images; k++) {
            int xOff = ((img0 + k) * channels + c) * geo.inHW;
            int base = (k * pitch + s.padH()) * rs + s.padW();
            for (int iy = 0; iy < geo.inH; iy++) {
                System.arraycopy(x, xOff + iy * geo.inW, padded, base + iy * rs, geo.inW);
            }
        }
    }

    /**
     * Copies each stacked image's rows of a tall result plane (row stride {@code rs}, image k's row r at row
     * {@code k * pitch + r}) to its plane of channel {@code c} in {@code dst}, {@code rows} by {@code cols}.
     */
    private static void unstack(float[] plane, int rs, int pitch, int c, int channels, int img0, int images,
                                int rows, int cols, float[] dst) {
        int planeSize = rows * cols;
        for (int k = 0; k < images; k++) {
            int dOff = ((img0 + k) * channels + c) * planeSize;
            for (int r = 0; r < rows; r++) {
                System.arraycopy(plane, (k * pitch + r) * rs, dst, dOff + r * cols, cols);
            }
        }
    }

    private static final ThreadLocal<ForwardJob> FORWARD_JOBS = ThreadLocal.withInitial(ForwardJob::new);

    /**
     * The forward over planes as a reusable body, one per calling thread, so a call allocates nothing. Values are
     * clamped to {@code [lo, hi]} as they are stored: {@link FusedConv}'s fused ReLU/ReLU6 (infinite for none).
     */
    static final class ForwardJob implements Parallel.RangeBody {
        ConvSpec s;
        ConvOp.Geometry geo;
        float[] x, w, bias, out;
        float lo, hi;
        int stackedImages;
        private final SplitLayout splitLayout = new SplitLayout();
        private final ConvOp.Geometry tall = new ConvOp.Geometry();

        void set(ConvSpec s, ConvOp.Geometry geo, float[] x, float[] w, float[] bias, float[] out, float lo, float hi) {
            this.s = s;
            this.geo = geo;
            this.x = x;
            this.w = w;
            this.bias = bias;
            this.out = out;
            this.lo = lo;
            this.hi = hi;
            if (s.strideW() == 2) {
                splitLayout.reset(s, geo);
            }
            stackedImages = s.strideH() == 1 && s.strideW() == 1 ? stackedImages(s, geo, geo.inW + 2 * s.padW()) : 1;
            tall.set(s, 1, tallHeight(s, geo, stackedImages), geo.inW);
        }

        /** Tasks for {@link Parallel#forRange}: (channel, stack of images) pairs, channel fastest. */
        int tasks() {
            return geo.n / stackedImages * s.inChannels();
        }

        /** Tasks per {@link Parallel#forRange} chunk: enough outputs to pay for a chunk. */
        int grain() {
            return Math.max(1, planeGrain(geo) / stackedImages);
        }

        void clear() {
            s = null;
            geo = null;
            x = w = bias = out = null;
        }

        @Override
        public void run(int from, int to) {
            int channels = s.inChannels();
            if (s.strideH() == 1 && s.strideW() == 1) {
                runFlat(from, to, channels);
                return;
            }
            if (s.strideW() == 2) {
                runSplit(from, to, channels);
                return;
            }
            int rs = paddedRowStride(s, geo);
            float[] padded = buffer(0, (geo.inH + 2 * s.padH()) * rs);
            float[] row = buffer(2, roundUp(geo.outW));
            for (int p = from; p < to; p++) {
                int c = p % channels;
                pad(s, geo, x, p * geo.inHW, padded, rs);
                forwardPlane(s, geo, padded, rs, w, c * 9, bias == null ? 0f : bias[c], out, p * geo.outHW, row, lo,
                        hi);
            }
        }

        /**
         * Stride 2 along W: each padded row is split once into its even and odd columns (see {@link SplitLayout}),
         * so output column ox reads even[ox], odd[ox] and even[ox + 1] — three contiguous vector loads per filter
         * row — and only the needed outputs are computed, in one flat loop over the plane as at stride 1.
         */
        private void runSplit(int from, int to, int channels) {
            SplitLayout layout = splitLayout;
            float[] split = buffer(0, layout.size);
            float[] padRow = buffer(1, layout.padRowLength);
            float[] plane = buffer(2, layout.flatEnd);
            for (int p = from; p < to; p++) {
                int c = p % channels;
                layout.split(x, p * geo.inHW, padRow, split);
                splitTaps(split, layout, w, c * 9, bias == null ? 0f : bias[c], plane, lo, hi);
                int o = p * geo.outHW;
                for (int oy = 0; oy < geo.outH; oy++) {
                    System.arraycopy(plane, oy * layout.rowStride, out, o + oy * geo.outW, geo.outW);
                }
            }
        }

        /**
         * Stride 1: the padded plane has no slack between rows, so output (oy, ox) sits at {@code oy * rs + ox}
         * and the whole plane is one flat vector loop (the two columns per row that wrap around are computed and
         * dropped). Small planes are stacked (see {@link #stackedImages}), task q being channel {@code q % channels}
         * of a stack of images.
         */
        private void runFlat(int from, int to, int channels) {
            int rs = geo.inW + 2 * s.padW();
            int rows = tall.inH + 2 * s.padH();
            int flat = roundUp(tall.outH * rs);
            // Reads past the last row meet only dropped outputs, but must meet zeros, not NaN.
            int size = rows * rs + flat - tall.outH * rs + 2 * L + 2;
            float[] padded = buffer(0, size);
            float[] plane = buffer(2, flat);
            // padStack writes the same positions for every stack, so the zeros around them are laid once per task.
            java.util.Arrays.fill(padded, 0, size, 0f);
            int pitch = pitch(s, geo);
            for (int q = from; q < to; q++) {
                int c = q % channels;
                int img0 = q / channels * stackedImages;
                padStack(s, geo, x, c, channels, img0, stackedImages, padded, rs);
                taps(padded, 0, rs, w, c * 9, bias == null ? 0f : bias[c], 0, flat, plane, 0, lo, hi);
                unstack(plane, rs, pitch, c, channels, img0, stackedImages, geo.outH, geo.outW, out);
            }
        }
    }

    /** Copies one input plane into {@code padded} with zero borders and zero slack. */
    private static void pad(ConvSpec s, ConvOp.Geometry geo, float[] x, int xOff, float[] padded, int rs) {
        int ph = s.padH(), pw = s.padW();
        int rows = geo.inH + 2 * ph;
        for (int r = 0; r < rows; r++) {
            int base = r * rs;
            int iy = r - ph;
            if (iy < 0 || iy >= geo.inH) {
                java.util.Arrays.fill(padded, base, base + rs, 0f);
            } else {
                java.util.Arrays.fill(padded, base, base + pw, 0f);
                System.arraycopy(x, xOff + iy * geo.inW, padded, base + pw, geo.inW);
                java.util.Arrays.fill(padded, base + pw + geo.inW, base + rs, 0f);
            }
        }
    }

    /** Stride 1 along W (any stride along H): full vectors go straight to the output, the tail through {@code row}. */
    private static void forwardPlane(ConvSpec s, ConvOp.Geometry geo, float[] in, int rs, float[] w, int wOff,
                                     float bias, float[] out, int oOff, float[] row, float lo, float hi) {
        int outW = geo.outW;
        int direct = S.loopBound(outW);
        for (int oy = 0; oy < geo.outH; oy++) {
            int r0 = oy * s.strideH() * rs;
            int o = oOff + oy * outW;
            taps(in, r0, rs, w, wOff, bias, 0, direct, out, o, lo, hi);
            if (direct < outW) {
                taps(in, r0, rs, w, wOff, bias, direct, direct + L, row, -direct, lo, hi);
                System.arraycopy(row, 0, out, o + direct, outW - direct);
            }
        }
    }

    // De-interleaving two vectors as one-vector rearranges and a blend, as PoolOp does (docs/jvm-notes.md).
    private static final int HALF = L / 2;
    private static final VectorShuffle<Float> EVEN_LOW = VectorShuffle.fromOp(S, k -> k < HALF ? 2 * k : 0);
    private static final VectorShuffle<Float> EVEN_HIGH = VectorShuffle.fromOp(S, k -> k < HALF ? 0 : 2 * k - L);
    private static final VectorShuffle<Float> ODD_LOW = VectorShuffle.fromOp(S, k -> k < HALF ? 2 * k + 1 : 0);
    private static final VectorShuffle<Float> ODD_HIGH = VectorShuffle.fromOp(S, k -> k < HALF ? 0 : 2 * k + 1 - L);
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(S, -1L << HALF);

    /**
     * Where the stride-2-along-W path keeps one input plane, split by columns. Each zero-padded row's even columns
     * (rowStride = outW + 1 of them: the last output's third tap is even[outW]) go to the even area and its odd
     * columns to the same place in the odd area, {@code oddOffset} further on. At stride 1 along H padded row r
     * starts at {@code r * rowStride}; at stride 2 the even rows come first and the odd rows after them, so in
     * both cases the three input rows of output row oy start at {@code oy * rowStride} plus tap0, tap1 and tap2,
     * and output (oy, ox) is flat index {@code oy * rowStride + ox} (one dropped column per row, as at stride 1).
     */
    static final class SplitLayout {
        int rowStride, oddOffset, size, padRowLength, flatEnd;
        int tap0, tap1, tap2;
        private ConvSpec s;
        private ConvOp.Geometry geo;

        /** Recomputed for each call (no allocation); read-only while the planes run. */
        void reset(ConvSpec s, ConvOp.Geometry geo) {
            this.s = s;
            this.geo = geo;
            int rows = geo.inH + 2 * s.padH();
            rowStride = geo.outW + 1;
            tap0 = 0;
            if (s.strideH() == 2) {
                tap1 = (rows + 1) / 2 * rowStride; // the first odd row
                tap2 = rowStride;
            } else {
                tap1 = rowStride;
                tap2 = 2 * rowStride;
            }
            flatEnd = roundUp(geo.outH * rowStride);
            // Slack past the last row for the flat loop's last vector and the split's last vector.
            oddOffset = rows * rowStride + 2 * L;
            size = 2 * oddOffset;
            padRowLength = 2 * roundUp(rowStride);
        }

        /** Where padded row r starts in the even area. */
        private int rowStart(int r) {
            return s.strideH() == 2 ? (r % 2) * tap1 + (r / 2) * rowStride : r * rowStride;
        }

        /**
         * Splits one input plane. Rows are written in the order they are laid out, because each row's last
         * vector spills past its end into the next row's place, which must be written after it.
         */
        void split(float[] x, int xOff, float[] padRow, float[] split) {
            int ph = s.padH(), pw = s.padW();
            int rows = geo.inH + 2 * ph;
            // The padding columns and the tail stay zero: only the input part is rewritten for each row.
            java.util.Arrays.fill(padRow, 0, padRowLength, 0f);
            int step = s.strideH();
            for (int first = 0; first < step; first++) {
                for (int r = first; r < rows; r += step) {
                    int base = rowStart(r);
                    int iy = r - ph;
                    if (iy < 0 || iy >= geo.inH) {
                        java.util.Arrays.fill(split, base, base + rowStride, 0f);
                        java.util.Arrays.fill(split, oddOffset + base, oddOffset + base + rowStride, 0f);
                        continue;
                    }
                    System.arraycopy(x, xOff + iy * geo.inW, padRow, pw, geo.inW);
                    for (int k = 0; k < rowStride; k += L) {
                        FloatVector t0 = FloatVector.fromArray(S, padRow, 2 * k);
                        FloatVector t1 = FloatVector.fromArray(S, padRow, 2 * k + L);
                        t0.rearrange(EVEN_LOW).blend(t1.rearrange(EVEN_HIGH), HIGH_HALF).intoArray(split, base + k);
                        t0.rearrange(ODD_LOW).blend(t1.rearrange(ODD_HIGH), HIGH_HALF)
                                .intoArray(split, oddOffset + base + k);
                    }
                }
            }
        }
    }

    /**
     * {@code plane[i] = clamp(bias + the 9 taps of flat output i, lo, hi)} over a split plane: as {@link #taps}, but
     * the taps of column j of an input row are even[j], odd[j], even[j + 1]. Values past a row's outputs read the
     * next row or the slack and are dropped.
     */
    private static void splitTaps(float[] in, SplitLayout layout, float[] w, int wOff, float bias, float[] plane,
                                  float lo, float hi) {
        FloatVector w0 = FloatVector.broadcast(S, w[wOff]), w1 = FloatVector.broadcast(S, w[wOff + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[wOff + 2]), w3 = FloatVector.broadcast(S, w[wOff + 3]);
        FloatVector w4 = FloatVector.broadcast(S, w[wOff + 4]), w5 = FloatVector.broadcast(S, w[wOff + 5]);
        FloatVector w6 = FloatVector.broadcast(S, w[wOff + 6]), w7 = FloatVector.broadcast(S, w[wOff + 7]);
        FloatVector w8 = FloatVector.broadcast(S, w[wOff + 8]);
        FloatVector b = FloatVector.broadcast(S, bias);
        FloatVector low = FloatVector.broadcast(S, lo), high = FloatVector.broadcast(S, hi);
        int e0 = layout.tap0, e1 = layout.tap1, e2 = layout.tap2;
        int odd = layout.oddOffset;
        int o0 = e0 + odd, o1 = e1 + odd, o2 = e2 + odd;
        for (int i = 0, end = layout.flatEnd; i < end; i += L) {
            FloatVector acc = FloatVector.fromArray(S, in, e0 + i).fma(w0, b);
            acc = FloatVector.fromArray(S, in, o0 + i).fma(w1, acc);
            acc = FloatVector.fromArray(S, in, e0 + i + 1).fma(w2, acc);
            acc = FloatVector.fromArray(S, in, e1 + i).fma(w3, acc);
            acc = FloatVector.fromArray(S, in, o1 + i).fma(w4, acc);
            acc = FloatVector.fromArray(S, in, e1 + i + 1).fma(w5, acc);
            acc = FloatVector.fromArray(S, in, e2 + i).fma(w6, acc);
            acc = FloatVector.fromArray(S, in, o2 + i).fma(w7, acc);
            acc = FloatVector.fromArray(S, in, e2 + i + 1).fma(w8, acc);
            acc.max(low).min(high).intoArray(plane, i);
        }
    }

    /**
     * {@code dst[dOff + j] = clamp(bias + the 9-tap stride-1 dot product at column j, lo, hi)} of the 3 rows starting at
     * {@code r0}, for {@code j} in {@code [from, to)} (whole vectors). Vectors never cross a method boundary,
     * so they cannot be boxed.
     */
    private static void taps(float[] in, int r0, int rs, float[] w, int wOff, float bias, int from, int to,
                             float[] dst, int dOff, float lo, float hi) {
        if (from >= to) {
            return;
        }
        FloatVector w0 = FloatVector.broadcast(S, w[wOff]), w1 = FloatVector.broadcast(S, w[wOff + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[wOff + 2]), w3 = FloatVector.broadcast(S, w[wOff + 3]);
        FloatVector w4 = FloatVector.broadcast(S, w[wOff + 4]), w5 = FloatVector.broadcast(S, w[wOff + 5]);
        FloatVector w6 = FloatVector.broadcast(S, w[wOff + 6]), w7 = FloatVector.broadcast(S, w[wOff + 7]);
        FloatVector w8 = FloatVector.broadcast(S, w[wOff + 8]);
        FloatVector b = FloatVector.broadcast(S, bias);
        FloatVector low = FloatVector.broadcast(S, lo), high = FloatVector.broadcast(S, hi);
        int r1 = r0 + rs, r2 = r1 + rs;
        for (int j = from; j < to; j += L) {
            FloatVector acc = FloatVector.fromArray(S, in, r0 + j).fma(w0, b);
            acc = FloatVector.fromArray(S, in, r0 + j + 1).fma(w1, acc);
            acc = FloatVector.fromArray(S, in, r0 + j + 2).fma(w2, acc);
            acc = FloatVector.fromArray(S, in, r1 + j).fma(w3, acc);
            acc = FloatVector.fromArray(S, in, r1 + j + 1).fma(w4, acc);
            acc = FloatVector.fromArray(S, in, r1 + j + 2).fma(w5, acc);
            acc = FloatVector.fromArray(S, in, r2 + j).fma(w6, acc);
            acc = FloatVector.fromArray(S, in, r2 + j + 1).fma(w7, acc);
            acc = FloatVector.fromArray(S, in, r2 + j + 2).fma(w8, acc);
            acc.max(low).min(high).intoArray(dst, dOff + j);
        }
    }

    /**
     * {@code gradX} (overwritten) and {@code gradW} (accumulated), either may be null. Parallel over channels,
     * each summing its images in order, so results do not depend on the thread count.
     */
    static void backward(ConvSpec s, ConvOp.Geometry geo, float[] x, float[] w, float[] g, float[] gradX,
                         float[] gradW) {
        int channels = s.inChannels();
        int grain = Math.max(1, 16384 / Math.max(1, geo.n * geo.inHW));
        // One row stride for the padded input and the stuffed gradient (see weightGradientPlane): the padded
        // width plus the stuffed plane's 2-column margin. Small planes are stacked (see stackedImages).
        int gStride = geo.inW + 2 * s.padW() + 2;
        int stacked = stackedImages(s, geo, gStride);
        int pitch = pitch(s, geo);
        Parallel.forRange(channels, grain, (from, to) -> {
            ConvOp.Geometry tall = TALL.get().set(s, 1, tallHeight(s, geo, stacked), geo.inW);
            // Flat loops run past the last row into spare zero rows.
            int gRows = tall.inH + 2 * s.padH() + 2 + 3 + L / gStride;
            // padStack and stuff write the same positions for every stack, so the zeros around them are laid once
            // per task.
            float[] padded = gradW == null ? null : buffer(0, gRows * gStride);
            if (padded != null) {
                java.util.Arrays.fill(padded, 0, gRows * gStride, 0f);
            }
            float[] stuffed = buffer(1, gRows * gStride);
            java.util.Arrays.fill(stuffed, 0, gRows * gStride, 0f);
            float[] row = buffer(2, roundUp(tall.inH * gStride));
            double[] dw = new double[9];
            float[] flipped = new float[9];
            for (int c = from; c < to; c++) {
                java.util.Arrays.fill(dw, 0);
                // The input gradient correlates with the filter turned by 180 degrees.
                for (int t = 0; t < 9; t++) {
                    flipped[t] = w[c * 9 + 8 - t];
                }
                for (int img0 = 0; img0 < geo.n; img0 += stacked) {
                    for (int k = 0; k < stacked; k++) {
                        stuff(s, geo, g, ((img0 + k) * channels + c) * geo.outHW, stuffed, gStride,
                                k * pitch * gStride);
                    }
                    if (gradW != null) {
                        padStack(s, geo, x, c, channels, img0, stacked, padded, gStride);
                        weightGradientPlane(s, tall, padded, stuffed, gStride, dw);
                    }
                    if (gradX != null) {
                        inputGradientPlane(s, tall, stuffed, gStride, flipped, row);
                        unstack(row, gStride, pitch, c, channels, img0, stacked, geo.inH, geo.inW, gradX);
                    }
                }
                if (gradW != null) {
                    for (int t = 0; t < 9; t++) {
                        gradW[c * 9 + t] += (float) dw[t];
                    }
                }
            }
        });
    }

    private static final ThreadLocal<ConvOp.Geometry> TALL = ThreadLocal.withInitial(ConvOp.Geometry::new);

    /**
     * Writes the gradient plane zero-stuffed for the stride (value of output (oy, ox) at (oy*sh, ox*sw)) with a
     * 2-element zero margin at the top and left, so the flipped 3×3 filter can gather without bounds checks.
     * Writes only the gradient's own positions: every other position of {@code stuffed} must already be zero.
     */
    private static void stuff(ConvSpec s, ConvOp.Geometry geo, float[] g, int gOff, float[] stuffed, int stride,
                              int sOff) {
        int sh = s.strideH(), sw = s.strideW();
        for (int oy = 0; oy < geo.outH; oy++) {
            int dst = sOff + (oy * sh + 2) * stride + 2;
            int src = gOff + oy * geo.outW;
            if (sw == 1) {
                System.arraycopy(g, src, stuffed, dst, geo.outW);
            } else {
                for (int ox = 0; ox < geo.outW; ox++) {
                    stuffed[dst + ox * sw] = g[src + ox];
                }
            }
        }
    }

    /**
     * {@code dw[ky*3+kx] += sum over outputs of grad * input tap}. The stuffed gradient and the padded input share
     * one row stride, so the whole plane is one flat loop (zeros in the stuffed plane mask the slack, the stride
     * gaps and the padding); JDK 17's C2 keeps nine accumulators of a single loop in registers, but boxes vectors
     * carried through nested loops.
     */
    private static void weightGradientPlane(ConvSpec s, ConvOp.Geometry geo, float[] in, float[] stuffed,
                                            int rs, double[] dw) {
        int end = roundUp(((geo.outH - 1) * s.strideH()) * rs + (geo.outW - 1) * s.strideW() + 1);
        int g0 = 2 * rs + 2;
        int r1 = rs, r2 = 2 * rs;
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S), a4 = FloatVector.zero(S), a5 = FloatVector.zero(S);
        FloatVector a6 = FloatVector.zero(S), a7 = FloatVector.zero(S), a8 = FloatVector.zero(S);
        for (int i = 0; i < end; i += L) {
            FloatVector gv = FloatVector.fromArray(S, stuffed, g0 + i);
            a0 = gv.fma(FloatVector.fromArray(S, in, i), a0);
            a1 = gv.fma(FloatVector.fromArray(S, in, i + 1), a1);
            a2 = gv.fma(FloatVector.fromArray(S, in, i + 2), a2);
            a3 = gv.fma(FloatVector.fromArray(S, in, r1 + i), a3);
            a4 = gv.fma(FloatVector.fromArray(S, in, r1 + i + 1), a4);
            a5 = gv.fma(FloatVector.fromArray(S, in, r1 + i + 2), a5);
            a6 = gv.fma(FloatVector.fromArray(S, in, r2 + i), a6);
            a7 = gv.fma(FloatVector.fromArray(S, in, r2 + i + 1), a7);
            a8 = gv.fma(FloatVector.fromArray(S, in, r2 + i + 2), a8);
        }
        // Not reduceLanes: JDK 17's C2 does not intrinsify the float add reduction here.
        float[] lanes = LANES.get();
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        a4.intoArray(lanes, 4 * L);
        a5.intoArray(lanes, 5 * L);
        a6.intoArray(lanes, 6 * L);
        a7.intoArray(lanes, 7 * L);
        a8.intoArray(lanes, 8 * L);
        for (int t = 0; t < 9; t++) {
            float sum = 0;
            for (int l = 0; l < L; l++) {
                sum += lanes[t * L + l];
            }
            dw[t] += sum;
        }
    }

    /**
     * {@code gradX[iy][ix] = sum w[ky][kx] * stuffed[iy + ph - ky + 2][ix + pw - kx + 2]}: the stuffed gradient
     * correlated with the flipped filter.
     */
    private static void inputGradientPlane(ConvSpec s, ConvOp.Geometry geo, float[] stuffed, int gStride,
                                           float[] flipped, float[] plane) {
        // Flat over the plane: input (iy, ix) at iy * gStride + ix; the columns past inW are computed and dropped.
        int r0 = s.padH() * gStride + s.padW();
        taps(stuffed, r0, gStride, flipped, 0, 0f, 0, roundUp(geo.inH * gStride), plane, 0, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY);
    }
}
