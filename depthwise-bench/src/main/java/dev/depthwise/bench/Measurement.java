package dev.depthwise.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Times a piece of work the way every benchmark here does: warm-up calls (at least the number asked, and
 * at least two seconds' worth), then {@code runs} timed calls;
 * the median wall time, the heap bytes allocated per call, and the peak heap while it ran.
 *
 * <p>Allocated bytes are {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes} summed over the
 * calling thread and our engine's pool workers (threads named {@code depthwise-*}, as running after
 * warm-up), so work done on the pool counts too. ONNX Runtime's native memory is not Java heap and does
 * not show here.
 */
final class Measurement {
    /** One measured case: median and all timed runs in nanoseconds, bytes allocated per call, peak heap bytes. */
    record Result(long medianNanos, long[] nanos, long allocatedBytesPerCall, long peakHeapBytes) {
        double medianMillis() {
            return medianNanos / 1e6;
        }
    }

    /** A call to measure. */
    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    static final long MIN_WARMUP_NANOS = 2_000_000_000L;
    static final int MAX_WARMUP_CALLS = 200;

    private Measurement() {
    }

    static Result measure(Work work, int warmup, int runs) throws Exception {
        return measureInterleaved(List.of(work), warmup, runs).get(0);
    }

    /**
     * Measures several pieces of work taking turns, run by run (a, b, a, b, ...), so that a load change on a
     * shared machine hits all of them alike and their ratio stays fair. The peak heap is the case's, shared.
     */
    static List<Result> measureInterleaved(List<Work> works, int warmup, int runs) throws Exception {
        for (Work work : works) {
            // At least `warmup` calls, and more until two seconds have passed: the Vector API kernels are slow
            // and allocate boxed vectors until C2 has compiled them, which a fast call needs many calls to reach.
            long warmupStart = System.nanoTime();
            for (int i = 0; i < warmup
                    || (System.nanoTime() - warmupStart < MIN_WARMUP_NANOS && i < MAX_WARMUP_CALLS); i++) {
                work.run();
            }
        }
        // The threads are listed once, after warm-up has started the pool's workers; what reading their
        // counters allocates itself is measured and subtracted, so a call that allocates nothing reads 0.
        long[] threadIds = countedThreads();
        long overhead = countingOverhead(threadIds);
        resetPeakHeap();
        long[][] nanos = new long[works.size()][runs];
        long[] allocated = new long[works.size()];
        for (int i = 0; i < runs; i++) {
            for (int w = 0; w < works.size(); w++) {
                long bytesBefore = allocatedBytes(threadIds);
                long t0 = System.nanoTime();
                works.get(w).run();
                nanos[w][i] = System.nanoTime() - t0;
                allocated[w] += Math.max(0, allocatedBytes(threadIds) - bytesBefore - overhead);
            }
        }
        long peak = peakHeap();
        List<Result> results = new ArrayList<>();
        for (int w = 0; w < works.size(); w++) {
            results.add(new Result(median(nanos[w]), nanos[w], allocated[w] / runs, peak));
        }
        return results;
    }

    static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The calling thread and the engine's pool workers (threads named {@code depthwise-*}). */
    static long[] countedThreads() {
        List<Long> ids = new ArrayList<>();
        ids.add(Thread.currentThread().getId());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("depthwise-") && t != Thread.currentThread()) {
                ids.add(t.getId());
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    /** Bytes one reading of the counters allocates (the MXBean makes small arrays for other threads). */
    private static long countingOverhead(long[] threadIds) {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long before = allocatedBytes(threadIds);
            min = Math.min(min, allocatedBytes(threadIds) - before);
        }
        return Math.max(0, min);
    }

    /** Heap bytes allocated so far by these threads. */
    static long allocatedBytes(long[] threadIds) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : threadIds) {
            sum += Math.max(0, mx.getThreadAllocatedBytes(id)); // -1 for a thread that ended meanwhile
        }
        return sum;
    }

    private static void resetPeakHeap() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /** Sum of the heap pools' peaks since the last reset (an upper bound: pools peak at different times). */
    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
