package dev.depthwise.spark;

import dev.depthwise.train.WorkerGroup;
import org.apache.spark.BarrierTaskContext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Base64;

/**
 * The workers of a data-parallel run as the tasks of one barrier stage: each sum is one
 * {@code BarrierTaskContext.allGather} round through the driver, every task receiving all tasks' arrays (as
 * Base64 text, the only payload allGather takes) and adding them in rank order, so all get the same bits.
 */
final class BarrierWorkers implements WorkerGroup {
    private final BarrierTaskContext context;
    private final int size;
    private long exchanges;
    private long exchangeNanos;

    BarrierWorkers(BarrierTaskContext context) {
        this.context = context;
        this.size = context.getTaskInfos().length;
    }

    @Override
    public int rank() {
        return context.partitionId();
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public float[] sum(float[] values) {
        long start = System.nanoTime();
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        String[] all = context.allGather(Base64.getEncoder().encodeToString(bytes.array()));
        float[] total = new float[values.length];
        Base64.Decoder decoder = Base64.getDecoder();
        for (int rank = 0; rank < all.length; rank++) {
            FloatBuffer theirs = ByteBuffer.wrap(decoder.decode(all[rank])).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            if (theirs.remaining() != values.length) {
                throw new IllegalStateException("worker " + rank + " sent " + theirs.remaining() + " values, worker "
                        + rank() + " " + values.length + ": the workers do not train the same model");
            }
            for (int i = 0; i < total.length; i++) {
                total[i] += theirs.get(i);
            }
        }
        exchangeNanos += System.nanoTime() - start;
        exchanges++;
        return total;
    }

    /** How many sums this worker took part in. */
    long exchanges() {
        return exchanges;
    }

    /** Their wall time on this worker, waiting for the slowest worker included. */
    double exchangeSeconds() {
        return exchangeNanos / 1e9;
    }
}
