package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision matrix multiply on row-major arrays: {@code C = (accumulate ? C : 0) + op(A)·op(B)},
 * where {@code op(A)} is {@code m×k}, {@code op(B)} is {@code k×n}, and {@code op} transposes when its flag is set
 * (so a transposed A is stored {@code k×m}).
 *
 * <p>The classic Goto/BLIS scheme: op(B) is packed in {@code KC×NR} strips and op(A) in {@code MR×KC} strips
 * into per-thread buffers, so the micro-kernel reads both contiguously whatever the transposes, and keeps an
 * {@code MR×NR} tile of C in vector registers while it walks {@code k}. Threads split C into disjoint column
 * (or row) ranges, so each element is summed in the same order whatever the thread count: results are deterministic.
 */
public final class Gemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows of the register tile ({@link GemmTiles}): 8, 6 or 5, as {@link RegisterTiles} chooses for this JVM. */
    static final int MR = RegisterTiles.GEMM_ROWS;
    /** Columns of the register tile: two vectors (32 floats with AVX-512). */
    static final int NR = 2 * L;
    /** Depth of a packed block: an MR×KC strip of A plus a KC×NR strip of B stay in L1. */
    private static final int KC = 256;
    /** Rows of A packed at once (stays in L2): whole register tiles of 8, 6 or 5 rows. */
    private static final int MC = 120;
    /** Columns of B packed at once (stays in L2/L3). */
    private static final int NC = 1024;
    /** Below this many multiply-adds per task, splitting across threads costs more than it saves. */
    private static final long MIN_TASK_FMAS = 1L << 20;

    /** The dot-product path (see {@link #dotBlock}): for k at least this long ... */
    private static final int DOT_MIN_K = 1024;
    /** ... and C with at most this many rows or columns. */
    private static final int DOT_MAX_SIDE = 256;
    /** C tile of the dot-product path. */
    private static final int DOT_TILE = 4;
    /** k chunk of the dot-product path: 8 rows of this many floats stay in L1/L2. */
    private static final int DOT_CHUNK = 2048;

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private static final class Buffers {
        final float[] a = new float[MC * KC];
        final float[] b = new float[KC * NC];
        /** The edge tile of the packed path; the lane sums of the dot-product path. */
        final float[] tile = new float[Math.max(MR * NR, DOT_TILE * DOT_TILE * L)];
    }

    private Gemm() {
    }

    public static void matmul(boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, boolean accumulate) {
        checkArgs(m, n, k, a, aOff, b, bOff, c, cOff);
        matmul(transA, transB, m, n, k, a, aOff, transA ? m : k, b, bOff, transB ? k : n, c, cOff, n, accumulate);
    }

    /**
     * As the public {@code matmul}, on sub-matrices: row {@code i} of a stored matrix starts {@code ld} elements
     * after row {@code i - 1}. For the conv kernels, which multiply column ranges of NCHW planes. No bounds checks
     * beyond the JVM's: callers pass ranges they have validated.
     */
    static void matmul(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                       float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        if (empty(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        // Split the larger side of C into strips of whole register tiles.
        boolean splitColumns = n >= m;
        boolean dots = !transA && transB && k >= DOT_MIN_K && Math.min(m, n) <= DOT_MAX_SIDE;
        int strip = dots ? DOT_TILE : splitColumns ? NR : MR;
        int strips = ((splitColumns ? n : m) + strip - 1) / strip;
        long fmasPerStrip = (long) strip * (splitColumns ? m : n) * k;
        // At most two tasks per thread: every task packs its own copy of the operand it shares with the others,
        // and strips cost the same, so finer splits only add packing (tasks claimed dynamically still balance).
        int grain = (int) Math.max(Math.max(1, MIN_TASK_FMAS / fmasPerStrip),
                (strips + 2L * Parallel.threads() - 1) / (2L * Parallel.threads()));
        Job job = JOBS.get();
        if (job.busy) {
            job = new Job(); // re-entered on this thread (never from our own code): do not clobber the outer job
        }
        job.set(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, splitColumns);
        job.dots = dots;
        try {
            Parallel.forRange(strips, grain, job);
        } finally {
            job.clear();
        }
    }

    private static final ThreadLocal<Job> JOBS = ThreadLocal.withInitial(Job::new);

    /**
     * One GEMM's arguments as a reusable loop body, one per calling thread, so that a call allocates nothing
     * (a capturing lambda would be a new object each time; planned inference must allocate nothing).
     */
    private static final class Job implements Parallel.RangeBody {
        boolean transA, transB, accumulate, splitColumns, busy, dots;
        int m, n, k, aOff, lda, bOff, ldb, cOff, ldc;
        float[] a, b, c;

        void set(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda, float[] b,
                 int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate, boolean splitColumns) {
            this.transA = transA;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.k = k;
            this.a = a;
            this.aOff = aOff;
            this.lda = lda;
            this.b = b;
            this.bOff = bOff;
            this.ldb = ldb;
            this.c = c;
            this.cOff = cOff;
            this.ldc = ldc;
            this.accumulate = accumulate;
            this.splitColumns = splitColumns;
            this.busy = true;
        }

        /** Drops the array references so an idle job keeps no tensor alive. */
        void clear() {
            a = b = c = null;
            busy = false;
        }

        @Override
        public void run(int from, int to) {
            int unit = dots ? DOT_TILE : splitColumns ? NR : MR;
            int i0 = 0, i1 = m, j0 = 0, j1 = n;
            if (splitColumns) {
                j0 = from * unit;
                j1 = Math.min(n, to * unit);
            } else {
                i0 = from * unit;
                i1 = Math.min(m, to * unit);
            }
            if (dots) {
                dotBlock(k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, i0, i1, j0, j1,
                        BUFFERS.get().tile);
            } else {
                block(transA, transB, k, a, aOff, lda, null, b, bOff, ldb, null, c, cOff, ldc, accumulate, i0, i1, j0,
                        j1, BUFFERS.get(), null, 0);
            }
        }
    }

    /**
     * Whether there is nothing to multiply: C has no elements, or k is 0 (then C is zeroed unless accumulating,
     * since an empty sum is 0).
     */
    private static boolean empty(int m, int n, int k, float[] c, int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0) {
            return true;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return true;
        }
        return false;
    }

    /**
     * As {@link #matmul(boolean, boolean, int, int, int, float[], int, int, float[], int, int, float[], int, int,
     * boolean)}, entirely on the calling thread and without allocating: for callers that split the work across
     * threads themselves with pre-built loop bodies (the planned inference path).
     */
    static void matmulOnThisThread(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                                   float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        if (empty(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        block(transA, transB, k, a, aOff, lda, null, b, bOff, ldb, null, c, cOff, ldc, accumulate, 0, m, 0, n,
                BUFFERS.get(), null, 0);
    }

    /** Rows of {@link #packA}'s output for an m-row A: m rounded up to whole register tiles. */
    static int packedRows(int m) {
        return (m + MR - 1) / MR * MR;
    }

    /**
     * Packs a whole non-transposed {@code m×k} A once, in the layout {@link #block} packs it into for every call:
     * KC-deep blocks of k one after the other, each {@code packedRows(m)×kc} as MR-row strips. For constant
     * weights (planned inference), which would otherwise be re-packed on every run.
     */
    static float[] packA(int m, int k, float[] a, int aOff, int lda) {
        float[] packed = new float[packedRows(m) * k];
        packA(false, m, k, a, aOff, lda, packed);
        return packed;
    }

    /**
     * As {@link #packA(int, int, float[], int, int)} for op(A) ({@code A}, or with {@code transA} the transpose of
     * the stored {@code k×m} matrix), into {@code packed} (at least {@code packedRows(m) * k} floats, the rest
     * untouched): for weights that change every step (training), packed into a reused buffer.
     * The KC-deep blocks are packed in parallel: a 512x4608 conv weight packed on one thread while the other
     * waited was a tenth of the conv's time on two.
     */
    static void packA(boolean transA, int m, int k, float[] a, int aOff, int lda, float[] packed) {
        int mPad = packedRows(m);
        int blocks = (k + KC - 1) / KC;
        Parallel.forRange(blocks, Math.max(1, (int) (MIN_TASK_FMAS / 16 / Math.max(1L, (long) mPad * KC))),
                (from, to) -> {
                    for (int b = from; b < to; b++) {
                        int pc = b * KC;
                        packA(transA, a, aOff, lda, 0, m, pc, Math.min(KC, k - pc), packed, pc * mPad);
                    }
                });
    }

    /**
     * {@code C[i0:i1, 0:n] = A[i0:i1, :]·B} on the calling thread, with A packed once by {@link #packA(int, int,
     * float[], int, int)} from an m-row matrix ({@code i0} a multiple of {@link #MR}; floats of {@code packedA} past
     * the packed matrix are ignored); {@code cOff} is where row 0 of C would start. The same packed values and the same order of sums as {@link #matmulOnThisThread}: the same result.
     */
    static void matmulPackedAOnThisThread(int i0, int i1, int m, int n, int k, float[] packedA, float[] b, int bOff,
                                          int ldb, float[] c, int cOff, int ldc) {
        if (i0 % MR != 0 || i1 > m || packedA.length < packedRows(m) * k) {
            throw new IllegalArgumentException("gemm: rows [" + i0 + ", " + i1 + ") of a packed " + m + "x" + k
                    + " A (" + packedA.length + " floats)");
        }
        if (i1 <= i0 || n == 0) {
            return;
        }
        block(false, false, k, null, 0, 0, null, b, bOff, ldb, null, c, cOff, ldc, false, i0, i1, 0, n,
                BUFFERS.get(), packedA, packedRows(m));
    }

    /**
     * An operand that is never stored as one matrix (the shifted channels-last input of a conv's weight gradient,
     * or a tensor whose k runs over several NCHW images), written by its owner straight into the packed layout.
     */
    interface PanelSource {
        /**
         * Writes lines {@code [from, from + count)} of the operand over {@code k} in {@code [pc, pc + kc)} into
         * {@code dst} as {@link #packA} and {@link #packB} would, lines being the rows of op(A) or the columns of
         * op(B): for each strip of {@code width} lines ({@link #MR} for A, {@link #NR} for B) starting at line
         * {@code s} (from 0), {@code dst[s * kc + p * width + l] = line(from + s + l)[pc + p]}, with zeros for the
         * lines past {@code count} in the last strip.
         */
        void pack(int pc, int kc, int from, int count, float[] dst);
    }

    /**
     * {@code C (+)= A·B} for a non-transposed {@code m×k} A and a B packed by {@code b}, on the calling thread: the
     * same order of sums as {@link #matmulOnThisThread} on the stored B, so the same result.
     */
    static void matmulOnThisThread(int m, int n, int k, float[] a, int aOff, int lda, PanelSource b, float[] c,
                                   int cOff, int ldc, boolean accumulate) {
        if (empty(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        block(false, false, k, a, aOff, lda, null, null, 0, 0, b, c, cOff, ldc, accumulate, 0, m, 0, n,
                BUFFERS.get(), null, 0);
    }

    /** {@code C (+)= A·B} with both operands packed by their sources, on the calling thread. */
    static void matmulOnThisThread(int m, int n, int k, PanelSource a, PanelSource b, float[] c, int cOff, int ldc,
                                   boolean accumulate) {
        if (empty(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        block(false, false, k, null, 0, 0, a, null, 0, 0, b, c, cOff, ldc, accumulate, 0, m, 0, n, BUFFERS.get(),
                null, 0);
    }

    /**
     * {@code C[i0:i1, j0:j1] (+)= A·B^T} when both are stored with k contiguous (the weight gradient of a conv:
     * {@code gradOut · X^T}) and one side of C is small: dot products of rows, 4×4 of them at a time in sixteen
     * vector accumulators. Packing would transpose both operands element by element, which costs more than the
     * multiply when C has few rows or columns. k is taken in L2-sized chunks; each chunk's sums are added to C
     * in chunk order, so the result is deterministic.
     */
    private static void dotBlock(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c,
                                 int cOff, int ldc, boolean accumulate, int i0, int i1, int j0, int j1,
                                 float[] lanes) {
        for (int p0 = 0; p0 < k; p0 += DOT_CHUNK) {
            int len = Math.min(DOT_CHUNK, k - p0);
            boolean overwrite = p0 == 0 && !accumulate;
            for (int i = i0; i < i1; i += DOT_TILE) {
                for (int j = j0; j < j1; j += DOT_TILE) {
                    int ar = aOff + i * lda + p0, br = bOff + j * ldb + p0, cAt = cOff + i * ldc + j;
                    if (i + DOT_TILE <= i1 && j + DOT_TILE <= j1) {
                        dot4x4(a, ar, lda, b, br, ldb, len, lanes);
                        for (int r = 0; r < DOT_TILE; r++) {
                            for (int q = 0; q < DOT_TILE; q++) {
                                float sum = 0;
                                for (int l = 0; l < L; l++) {
                                    sum += lanes[(r * DOT_TILE + q) * L + l];
                                }
                                for (int p = len / L * L; p < len; p++) {
                                    sum += a[ar + r * lda + p] * b[br + q * ldb + p];
                                }
                                int at = cAt + r * ldc + q;
                                c[at] = overwrite ? sum : c[at] + sum;
                            }
                        }
                    } else {
                        for (int r = 0; r < Math.min(DOT_TILE, i1 - i); r++) {
                            for (int q = 0; q < Math.min(DOT_TILE, j1 - j); q++) {
                                float sum = dot(a, ar + r * lda, b, br + q * ldb, len, lanes);
                                int at = cAt + r * ldc + q;
                                c[at] = overwrite ? sum : c[at] + sum;
                            }
                        }
                    }
                }
            }
        }
    }

    /** Lane-wise partial sums of the 16 dot products of 4 rows of A with 4 rows of B, over whole vectors of len. */
    private static void dot4x4(float[] a, int ar, int lda, float[] b, int br, int ldb, int len, float[] lanes) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S);
        FloatVector c03 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c12 = FloatVector.zero(S), c13 = FloatVector.zero(S), c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S);
        FloatVector c33 = FloatVector.zero(S);
        int end = len / L * L;
        for (int p = 0; p < end; p += L) {
            FloatVector b0 = FloatVector.fromArray(S, b, br + p);
            FloatVector b1 = FloatVector.fromArray(S, b, br + ldb + p);
            FloatVector b2 = FloatVector.fromArray(S, b, br + 2 * ldb + p);
            FloatVector b3 = FloatVector.fromArray(S, b, br + 3 * ldb + p);
            FloatVector av = FloatVector.fromArray(S, a, ar + p);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            c02 = av.fma(b2, c02);
            c03 = av.fma(b3, c03);
            av = FloatVector.fromArray(S, a, ar + lda + p);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            c12 = av.fma(b2, c12);
            c13 = av.fma(b3, c13);
            av = FloatVector.fromArray(S, a, ar + 2 * lda + p);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            c22 = av.fma(b2, c22);
            c23 = av.fma(b3, c23);
            av = FloatVector.fromArray(S, a, ar + 3 * lda + p);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            c32 = av.fma(b2, c32);
            c33 = av.fma(b3, c33);
        }
        // Stored, not reduceLanes: JDK 17's C2 does not always intrinsify the float add reduction.
        c00.intoArray(lanes, 0);
        c01.intoArray(lanes, L);
        c02.intoArray(lanes, 2 * L);
        c03.intoArray(lanes, 3 * L);
        c10.intoArray(lanes, 4 * L);
        c11.intoArray(lanes, 5 * L);
        c12.intoArray(lanes, 6 * L);
        c13.intoArray(lanes, 7 * L);
        c20.intoArray(lanes, 8 * L);
        c21.intoArray(lanes, 9 * L);
        c22.intoArray(lanes, 10 * L);
        c23.intoArray(lanes, 11 * L);
        c30.intoArray(lanes, 12 * L);
        c31.intoArray(lanes, 13 * L);
        c32.intoArray(lanes, 14 * L);
        c33.intoArray(lanes, 15 * L);
    }

    /** One dot product of length len, for the edge rows and columns of {@link #dotBlock}. */
    private static float dot(float[] a, int ar, float[] b, int br, int len, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        int end = len / L * L;
        for (int p = 0; p < end; p += L) {
            acc = FloatVector.fromArray(S, a, ar + p).fma(FloatVector.fromArray(S, b, br + p), acc);
        }
        acc.intoArray(lanes, 0);
        float sum = 0;
        for (int l = 0; l < L; l++) {
            sum += lanes[l];
        }
        for (int p = end; p < len; p++) {
            sum += a[ar + p] * b[br + p];
        }
        return sum;
    }

    /**
     * Computes the block {@code C[i0:i1, j0:j1]} on the calling thread; with {@code packedA} (A packed once, of
     * {@code mPad} rows, see {@link #packA(int, int, float[], int, int)}) A is read from there instead of packed;
     * with {@code aSource} or {@code bSource}, that operand is packed by it instead of from its array.
     */
    private static void block(boolean transA, boolean transB, int k, float[] a, int aOff, int lda,
                              PanelSource aSource, float[] b, int bOff, int ldb, PanelSource bSource, float[] c,
                              int cOff, int ldc,
                              boolean accumulate,
                              int i0, int i1, int j0, int j1, Buffers buf, float[] packedA, int mPad) {
        float[] ap = packedA != null ? packedA : buf.a;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean overwrite = pc == 0 && !accumulate;
                if (bSource != null) {
                    bSource.pack(pc, kc, jc, nc, buf.b);
                } else {
                    packB(transB, b, bOff, ldb, pc, kc, jc, nc, buf.b);
                }
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    int aAt = 0;
                    if (aSource != null) {
                        aSource.pack(pc, kc, ic, mc, buf.a);
                    } else if (packedA == null) {
                        packA(transA, a, aOff, lda, ic, mc, pc, kc, buf.a, 0);
                    } else {
                        aAt = pc * mPad + ic * kc;
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            int cAt = cOff + (ic + ir) * ldc + jc + jr;
                            if (mr == MR && nr == NR) {
                                kernel(ap, aAt + ir * kc, buf.b, jr * kc, kc, c, cAt, ldc, overwrite);
                            } else {
                                edgeTile(buf, ap, aAt + ir * kc, jr * kc, kc, c, cAt, ldc, mr, nr, overwrite);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Packs op(A)[ic:ic+mc, pc:pc+kc] as MR-row strips, each stored k-major ({@code MR} values per k), zero-padded. */
    private static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int mc, int pc, int kc,
                              float[] dst, int dstOff) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int base = dstOff + ir * kc;
            if (transA) {
                // op(A)(i, p) = a[p * lda + i]: each k step reads mr consecutive values.
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (pc + p) * lda + ic + ir;
                    int d = base + p * MR;
                    for (int r = 0; r < mr; r++) {
                        dst[d + r] = a[src + r];
                    }
                    for (int r = mr; r < MR; r++) {
                        dst[d + r] = 0f;
                    }
                }
            } else {
                for (int r = 0; r < MR; r++) {
                    if (r < mr) {
                        int src = aOff + (ic + ir + r) * lda + pc;
                        for (int p = 0; p < kc; p++) {
                            dst[base + p * MR + r] = a[src + p];
                        }
                    } else {
                        for (int p = 0; p < kc; p++) {
                            dst[base + p * MR + r] = 0f;
                        }
                    }
                }
            }
        }
    }

    /** Packs op(B)[pc:pc+kc, jc:jc+nc] as NR-column strips, each stored k-major ({@code NR} values per k), zero-padded. */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc,
                              float[] dst) {
        if (!transB) {
            // Row by row, each row of B read in one sweep: strip by strip walked kc rows at once, kc streams through
            // memory, which ran a pointwise conv's input gradient (k = 96 planes of 64x64) at half speed.
            int full = nc / NR * NR;
            for (int p = 0; p < kc; p++) {
                int src = bOff + (pc + p) * ldb + jc;
                int d = p * NR;
                int jr = 0;
                for (; jr < full; jr += NR) {
                    FloatVector.fromArray(S, b, src + jr).intoArray(dst, d + jr * kc);
                    FloatVector.fromArray(S, b, src + jr + L).intoArray(dst, d + jr * kc + L);
                }
                if (jr < nc) {
                    System.arraycopy(b, src + jr, dst, d + jr * kc, nc - jr);
                    java.util.Arrays.fill(dst, d + jr * kc + nc - jr, d + jr * kc + NR, 0f);
                }
            }
            return;
        }
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int base = jr * kc;
            // op(B)(p, j) = b[j * ldb + p]: read each column of op(B) contiguously.
            for (int j = 0; j < NR; j++) {
                if (j < nr) {
                    int src = bOff + (jc + jr + j) * ldb + pc;
                    for (int p = 0; p < kc; p++) {
                        dst[base + p * NR + j] = b[src + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        dst[base + p * NR + j] = 0f;
                    }
                }
            }
        }
    }

    /** A partial tile at the right or bottom edge: run the full kernel into a scratch tile, then copy what fits. */
    private static void edgeTile(Buffers buf, float[] ap, int aAt, int bAt, int kc, float[] c, int cAt, int ldc,
                                 int mr, int nr, boolean overwrite) {
        float[] tile = buf.tile;
        kernel(ap, aAt, buf.b, bAt, kc, tile, 0, NR, true);
        for (int r = 0; r < mr; r++) {
            int row = cAt + r * ldc;
            for (int j = 0; j < nr; j++) {
                c[row + j] = overwrite ? tile[r * NR + j] : c[row + j] + tile[r * NR + j];
            }
        }
    }

    /** The register-tiled micro-kernel: {@code C[MR×2L] (+)= Apanel[MR×kc] · Bpanel[kc×2L]}. */
    private static void kernel(float[] ap, int aAt, float[] bp, int bAt, int kc, float[] c, int cAt, int ldc,
                               boolean overwrite) {
        switch (MR) {
            case 8 -> GemmTiles.rows8(ap, aAt, bp, bAt, kc, c, cAt, ldc, overwrite);
            case 6 -> GemmTiles.rows6(ap, aAt, bp, bAt, kc, c, cAt, ldc, overwrite);
            default -> GemmTiles.rows5(ap, aAt, bp, bAt, kc, c, cAt, ldc, overwrite);
        }
    }

    private static void checkArgs(int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
                                  float[] c, int cOff) {
        if (m < 0 || n < 0 || k < 0 || aOff < 0 || bOff < 0 || cOff < 0) {
            throw new IllegalArgumentException("gemm: negative size or offset (m=" + m + ", n=" + n + ", k=" + k
                    + ", aOff=" + aOff + ", bOff=" + bOff + ", cOff=" + cOff + ")");
        }
        requireFits("A", a, aOff, (long) m * k, m, k, n);
        requireFits("B", b, bOff, (long) k * n, m, k, n);
        requireFits("C", c, cOff, (long) m * n, m, k, n);
    }

    private static void requireFits(String name, float[] array, int off, long size, int m, int k, int n) {
        if (size > 0 && (array == null || off + size > array.length)) {
            throw new IllegalArgumentException("gemm: " + name + " needs " + size + " elements from offset " + off
                    + " for m=" + m + ", k=" + k + ", n=" + n + ", but has length "
                    + (array == null ? "null" : String.valueOf(array.length)));
        }
    }
}
