package dev.depthwise.engine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelTest {
    private final int defaultThreads = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(defaultThreads);
    }

    @Test
    void everyIndexRunsExactlyOnce() {
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            for (int n : new int[] {1, 2, 7, 100, 1001}) {
                int[] hits = new int[n];
                for (int round = 0; round < 50; round++) {
                    Parallel.forRange(n, (from, to) -> {
                        for (int i = from; i < to; i++) {
                            hits[i]++;
                        }
                    });
                }
                for (int i = 0; i < n; i++) {
                    assertEquals(50, hits[i], "threads " + threads + ", n " + n + ", index " + i);
                }
            }
        }
    }

    @Test
    void backToBackJobsNeverReturnBeforeTheirLastChunk() {
        // Regression: a worker late from a small job could claim a chunk against the next job's larger chunk
        // count and be counted as done, so forRange returned while a chunk still ran.
        Parallel.setThreads(4);
        AtomicInteger items = new AtomicInteger();
        Parallel.RangeBody body = (from, to) -> {
            for (int i = from; i < to; i++) {
                items.incrementAndGet();
            }
        };
        for (int round = 0; round < 20_000; round++) {
            int n = round % 2 == 0 ? 2 : 64;
            items.set(0);
            Parallel.forRange(n, body);
            assertEquals(n, items.get(), "round " + round + ": forRange returned before every item ran");
        }
    }

    @Test
    void nestedCallsRunInline() {
        Parallel.setThreads(2);
        AtomicInteger total = new AtomicInteger();
        Parallel.forRange(8, (from, to) -> {
            for (int i = from; i < to; i++) {
                Parallel.forRange(10, (a, b) -> total.addAndGet(b - a));
            }
        });
        assertEquals(80, total.get());
    }

    @Test
    void aBodyExceptionReachesTheCaller() {
        Parallel.setThreads(2);
        var e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(100, (from, to) -> {
            if (from <= 50 && 50 < to) {
                throw new IllegalStateException("boom at 50");
            }
        }));
        assertEquals("boom at 50", e.getMessage());
        int[] sum = new int[1];
        Parallel.forRange(4, 1, (from, to) -> {
            synchronized (sum) {
                sum[0] += to - from;
            }
        });
        assertEquals(4, sum[0]); // the team still works after a failure
    }

    @Test
    void aPrebuiltBodyAllocatesNothingOnAnyThread() {
        Parallel.setThreads(2);
        float[] data = new float[1 << 16];
        Parallel.RangeBody body = (from, to) -> {
            for (int i = from; i < to; i++) {
                data[i] += 1f;
            }
        };
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Thread[] workers = Parallel.workerThreads();
        for (int i = 0; i < 20_000; i++) {
            Parallel.forRange(data.length, 1024, body); // warm up: compile the paths
        }
        long before = allocated(mx, workers);
        for (int i = 0; i < 1000; i++) {
            Parallel.forRange(data.length, 1024, body);
        }
        long bytes = allocated(mx, workers) - before;
        assertTrue(bytes < 1000, "1000 calls allocated " + bytes + " bytes");
    }

    private static long allocated(com.sun.management.ThreadMXBean mx, Thread[] workers) {
        long sum = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
        for (Thread w : workers) {
            sum += Math.max(0, mx.getThreadAllocatedBytes(w.getId()));
        }
        return sum;
    }
}
