package dev.depthwise.bench;

import dev.depthwise.engine.op.Gemm;

import java.util.Random;

/**
 * The machine's practical FLOP limit as our engine reaches it: GFLOP/s of our GEMM on square 1024 matrices at
 * the bench's thread count, the best of several calls after a warm-up. Every model figure is read against it:
 * a direct convolution cannot run faster than its GEMM, so a model at, say, 60% of this peak has at most
 * 1.7x left in its kernels, and only fewer multiplications (Winograd) can pass 100%.
 */
final class GemmPeak {
    static final int SIZE = 1024;
    private static final long WARMUP_NANOS = 1_000_000_000L;
    private static final int TIMED_CALLS = 7;

    private GemmPeak() {
    }

    /** GFLOP/s of the best timed call (the best, not the median: the limit, which a loaded machine only lowers). */
    static double measureGflops() {
        int n = SIZE;
        Random random = new Random(1);
        float[] a = new float[n * n];
        float[] b = new float[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
            b[i] = (float) random.nextGaussian();
        }
        float[] c = new float[n * n];
        long warmupEnd = System.nanoTime() + WARMUP_NANOS;
        do {
            Gemm.matmul(false, false, n, n, n, a, 0, b, 0, c, 0, false);
        } while (System.nanoTime() < warmupEnd);
        long best = Long.MAX_VALUE;
        for (int i = 0; i < TIMED_CALLS; i++) {
            long t0 = System.nanoTime();
            Gemm.matmul(false, false, n, n, n, a, 0, b, 0, c, 0, false);
            best = Math.min(best, System.nanoTime() - t0);
        }
        return 2.0 * n * n * n / best;
    }
}
