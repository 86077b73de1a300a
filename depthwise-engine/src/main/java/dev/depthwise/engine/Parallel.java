package dev.depthwise.engine;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The one place where the engine uses threads: a shared team of workers sized to the cores, and
 * {@link #forRange} to split an outer loop across it. Kernels never create threads themselves.
 *
 * <p>The thread count defaults to the number of available processors and can be set with
 * {@link #setThreads(int)} (the commands' {@code --threads}).
 *
 * <p>Why not a {@code ForkJoinPool}: it allocates task objects on every call, and a planned inference pass
 * must allocate nothing. Here {@code threads - 1} persistent workers and the calling thread share one job at a
 * time; the job lives in reused fields and its chunks are claimed from one atomic counter, so a
 * {@code forRange} whose body is a pre-built object allocates no memory on any thread. A {@code forRange}
 * issued while the team is busy (from inside a body, or from a second caller thread) runs inline on its
 * own thread: the team never waits on itself, so it cannot deadlock.
 */
public final class Parallel {
    /** Spin this long before parking: a forward pass issues jobs back to back, microseconds apart. */
    private static final long SPIN_NANOS = 50_000;

    /** Created on first use, so a program that sets its own count never starts the default team. */
    private static volatile Team team;

    private Parallel() {
    }

    private static Team team() {
        Team t = team;
        return t != null ? t : defaultTeam();
    }

    private static synchronized Team defaultTeam() {
        if (team == null) {
            team = new Team(Runtime.getRuntime().availableProcessors());
        }
        return team;
    }

    public static int threads() {
        return team().threads;
    }

    /** Sets the number of threads the kernels use from now on. */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        Team old = team;
        if (old == null || threads != old.threads) {
            team = new Team(threads);
            if (old != null) {
                old.shutdown();
            }
        }
    }

    /** The worker threads (not the callers), for measuring what they allocate; empty with one thread. */
    public static Thread[] workerThreads() {
        return team().workers.clone();
    }

    /**
     * Bytes allocated so far by the calling thread and the workers, from HotSpot's per-thread counters: what a
     * run allocated is the difference of two readings (a reading itself allocates a little, the same each time).
     */
    public static long allocatedBytes() {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = Math.max(0, mx.getThreadAllocatedBytes(Thread.currentThread().getId()));
        for (Thread worker : team().workers) {
            sum += Math.max(0, mx.getThreadAllocatedBytes(worker.getId()));
        }
        return sum;
    }

    /**
     * Bytes that {@code calls} runs of {@code work} allocate on the calling thread and the workers, less what one
     * reading of the counters allocates, taken beside them: that cost changes as the JIT compiles the reading (816
     * and 976 bytes seen), and the workers' start-up would count in a first reading.
     */
    public static long allocatedBytes(Runnable work, int calls) {
        long first = allocatedBytes();
        long before = allocatedBytes();
        for (int i = 0; i < calls; i++) {
            work.run();
        }
        return allocatedBytes() - before - (before - first);
    }

    /** A loop body over a half-open range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into contiguous chunks (a few per thread, so uneven work
     * balances), on the calling thread and the workers; returns when all are done. Runs inline when there is
     * one thread, one item, or the team is already busy.
     */
    public static void forRange(int n, RangeBody body) {
        forRange(n, 1, body);
    }

    /**
     * Like {@link #forRange(int, RangeBody)}, but never makes a chunk smaller than {@code grain}
     * items, so that cheap loops are not split finer than pays.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        Team t = team();
        if (t.threads == 1 || n <= grain || !t.busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            int chunks = Math.min(Math.max(1, n / Math.max(1, grain)), t.threads * 4);
            t.run(body, n, Math.max(1, (n + chunks - 1) / chunks));
        } finally {
            t.busy.set(false);
        }
    }

    /** Workers plus the one job they share. */
    private static final class Team {
        /** The chunk index of a finished job's cursor: beyond any chunk count, so nothing more is claimed. */
        private static final int CLOSED = Integer.MAX_VALUE;
        final int threads;
        final Thread[] workers;
        final AtomicBoolean busy = new AtomicBoolean();
        /**
         * High 32 bits: the job's generation; low 32 bits: the next chunk to claim. Claiming compares the
         * generation too, so a worker that wakes late can never take a chunk of a newer job for an older one.
         */
        final AtomicLong cursor = new AtomicLong();
        final AtomicInteger done = new AtomicInteger();
        // The job, written by the caller before it publishes a new generation in `cursor`.
        RangeBody body;
        int n;
        int step;
        int chunks;
        volatile Thread caller;
        volatile Throwable failure;
        volatile boolean stopped;

        Team(int threads) {
            this.threads = threads;
            this.workers = new Thread[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                Thread w = new Thread(this::workLoop, "depthwise-" + (i + 1));
                w.setDaemon(true);
                workers[i] = w;
            }
            for (Thread w : workers) {
                w.start();
            }
        }

        void run(RangeBody body, int n, int step) {
            this.body = body;
            this.n = n;
            this.step = step;
            this.chunks = (n + step - 1) / step;
            this.failure = null;
            this.caller = Thread.currentThread();
            done.set(0);
            long generation = (cursor.get() >>> 32) + 1;
            cursor.set(generation << 32);
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            work(generation);
            awaitDone();
            // Close the job before its fields are reused: a worker that read the cursor just before the last
            // chunk was claimed could otherwise compare that stale cursor with the NEXT job's chunk count, claim
            // a chunk of the old generation, run the next job's body and count it as done, so the next caller
            // returned (and cleared its reusable body) while a chunk was still running (a NullPointerException in
            // ConvOp's forward job, seen in the demo). Changing the cursor makes every such stale claim fail.
            cursor.set((generation << 32) | CLOSED);
            this.body = null;
            Throwable f = failure;
            if (f != null) {
                if (f instanceof RuntimeException r) {
                    throw r;
                }
                if (f instanceof Error e) {
                    throw e;
                }
                throw new IllegalStateException(f);
            }
        }

        /** Claims and runs chunks of job {@code generation} until none is left. */
        void work(long generation) {
            while (true) {
                long c = cursor.get();
                int chunk = (int) c;
                if (c >>> 32 != generation || chunk >= chunks) {
                    return;
                }
                if (!cursor.compareAndSet(c, c + 1)) {
                    continue;
                }
                // The job's fields are stable here: it cannot finish while this chunk is pending.
                int from = chunk * step;
                try {
                    body.run(from, Math.min(n, from + step));
                } catch (Throwable e) {
                    failure = e;
                }
                if (done.incrementAndGet() == chunks) {
                    LockSupport.unpark(caller);
                }
            }
        }

        private void awaitDone() {
            long start = System.nanoTime();
            while (done.get() < chunks) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
        }

        private void workLoop() {
            long seen = 0;
            while (!stopped) {
                long generation = cursor.get() >>> 32;
                if (generation != seen) {
                    seen = generation;
                    work(generation);
                    continue;
                }
                long start = System.nanoTime();
                while (cursor.get() >>> 32 == seen && !stopped) {
                    if (System.nanoTime() - start < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        // A publish between the check and park leaves a permit: park returns at once.
                        LockSupport.park(this);
                    }
                }
            }
        }

        void shutdown() {
            stopped = true;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
        }
    }
}
