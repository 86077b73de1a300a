package dev.depthwise.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Dynamic batching as TorchServe does it: a fixed pool of workers, each taking the oldest queued input and then
 * whatever else arrives within {@code maxDelayNanos}, up to {@code maxBatch}, and running them as one batch. Each
 * worker owns its model function (compiled plans are not thread-safe); the queue is bounded and a full queue refuses
 * at once instead of growing.
 */
final class Batcher<I, O> implements AutoCloseable {
    private record Job<I, O>(I input, CompletableFuture<O> result) {
    }

    private final BlockingQueue<Job<I, O>> queue;
    private final List<Thread> workers = new ArrayList<>();
    private final int maxBatch;
    private final long maxDelayNanos;
    private final IntConsumer batchSizes;
    private volatile boolean closed;

    /**
     * @param model      makes each worker's function from a batch of inputs to their outputs, in order
     * @param batchSizes told the size of every batch run (for metrics)
     */
    Batcher(String name, int workerCount, int maxBatch, long maxDelayNanos, int capacity,
            Supplier<Function<List<I>, List<O>>> model, IntConsumer batchSizes) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelayNanos;
        this.batchSizes = batchSizes;
        for (int i = 0; i < workerCount; i++) {
            Function<List<I>, List<O>> fn = model.get();
            Thread t = new Thread(() -> loop(fn), name + "-" + i);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
    }

    /** The future output of {@code input}; null when the queue is full (the caller answers 429). */
    CompletableFuture<O> submit(I input) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        Job<I, O> job = new Job<>(input, new CompletableFuture<>());
        return queue.offer(job) ? job.result() : null;
    }

    int depth() {
        return queue.size();
    }

    private void loop(Function<List<I>, List<O>> fn) {
        List<Job<I, O>> batch = new ArrayList<>(maxBatch);
        while (!closed || !queue.isEmpty()) {
            try {
                Job<I, O> first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + maxDelayNanos;
                while (batch.size() < maxBatch) {
                    long left = deadline - System.nanoTime();
                    Job<I, O> next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            batch.removeIf(job -> job.result().isDone()); // timed out and given up by its request
            if (!batch.isEmpty()) {
                run(fn, batch);
            }
            batch.clear();
        }
    }

    private void run(Function<List<I>, List<O>> fn, List<Job<I, O>> batch) {
        batchSizes.accept(batch.size());
        try {
            List<I> inputs = new ArrayList<>(batch.size());
            batch.forEach(job -> inputs.add(job.input()));
            List<O> outputs = fn.apply(inputs);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(outputs.get(i));
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            batch.forEach(job -> job.result().completeExceptionally(e));
        }
    }

    /** Runs what is queued, then stops the workers. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        for (Thread t : workers) {
            t.join();
        }
    }
}
