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
 * the median wall time, the heap bytes allocated per call, and the peak heap while the timed calls ran (after a
 * full collection, so it is what they hold and allocate).
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
     * Measures several pieces of work taking turns in blocks (a a a, b b b, a a a, b b b, ...), so that a load
     * change on a shared machine hits all of them alike and their ratio stays fair. The peak heap is the case's,
     * shared.
     *
     * <p>Why blocks and not single runs: ONNX Runtime's intra-op workers spin for about 20–30 ms of CPU after each
     * run (its default {@code allow_spinning}), so a run of ours started right after one of its runs shared the two
     * cores with a spinning thread: MobileNetV2 at 224 took 8.8 ms that way and 4.5 ms in a block of its own, while
     * ONNX Runtime, spinning between its own runs, was not slowed (measured on 26 Nov 2026, 2 threads). Each block
     * therefore starts after a pause that outlasts that spinning, with untimed calls that bring the caches and the
     * engine's own workers back to steady state, and times back-to-back calls, as each engine runs when used alone.
     */
    static List<Result> measureInterleaved(List<Work> works, int warmup, int runs) throws Exception {
        for (Work work : works) {
            warmUp(work, warmup);
        }
        // The threads are listed once, after warm-up has started the pool's workers; what reading their
        // counters allocates itself is measured and subtracted, so a call that allocates nothing reads 0.
        long[] threadIds = countedThreads();
        long overhead = countingOverhead(threadIds);
        // A full collection first, so the peak is what the timed calls hold (the live set plus what they
        // allocate), not whatever garbage warm-up left behind: without it SegNet-DSC's training step read 3.0 GiB
        // while its layers, pool and optimiser reached 2.5 GiB.
        System.gc();
        resetPeakHeap();
        long[][] nanos = new long[works.size()][runs];
        long[] allocated = new long[works.size()];
        int blocks = works.size() == 1 ? 1 : Math.min(runs, BLOCKS);
        for (int block = 0, done = 0; block < blocks; block++) {
            int count = (runs - done) / (blocks - block);
            for (int w = 0; w < works.size(); w++) {
                Work work = works.get(w);
                if (works.size() > 1) {
                    settle(work);
                }
                for (int i = done; i < done + count; i++) {
                    long bytesBefore = allocatedBytes(threadIds);
                    long t0 = System.nanoTime();
                    work.run();
                    nanos[w][i] = System.nanoTime() - t0;
                    allocated[w] += Math.max(0, allocatedBytes(threadIds) - bytesBefore - overhead);
                }
            }
            done += count;
        }
        long peak = peakHeap();
        List<Result> results = new ArrayList<>();
        for (int w = 0; w < works.size(); w++) {
            results.add(new Result(median(nanos[w]), nanos[w], allocated[w] / runs, peak));
        }
        return results;
    }

    /**
     * At least {@code warmup} calls, and more until two seconds have passed: the Vector API kernels are slow and
     * allocate boxed vectors until C2 has compiled them, which a fast call needs many calls to reach.
     */
    static void warmUp(Work work, int warmup) throws Exception {
        long warmupStart = System.nanoTime();
        for (int i = 0; i < warmup
                || (System.nanoTime() - warmupStart < MIN_WARMUP_NANOS && i < MAX_WARMUP_CALLS); i++) {
            work.run();
        }
    }

    /** Blocks per work when several take turns. */
    static final int BLOCKS = 3;
    /** Longer than ONNX Runtime's workers spin after a run (20–30 ms of CPU measured). */
    static final long SETTLE_PAUSE_MILLIS = 100;
    /** Untimed calls at the start of a block: at least one, and more until this much time has passed. */
    static final long BLOCK_WARMUP_NANOS = 200_000_000L;

    /** Lets the previous engine's threads go idle, then runs {@code work} untimed until it is back at speed. */
    static void settle(Work work) throws Exception {
        Thread.sleep(SETTLE_PAUSE_MILLIS);
        long start = System.nanoTime();
        do {
            work.run();
        } while (System.nanoTime() - start < BLOCK_WARMUP_NANOS);
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
