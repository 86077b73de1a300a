package dev.depthwise.train;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.Parameter;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The workers of a synchronous data-parallel run, as one of them sees them. Each worker trains on its own
 * shard of trainval with an equal share of the batch; after every backward pass the gradients are averaged
 * over the workers (weighted by how many images each had), so every worker applies the same optimiser step to
 * the same weights and the run is one-machine training on the whole batch. BatchNorm's batch statistics stay
 * per worker, as in PyTorch's DDP without SyncBatchNorm; its running statistics are averaged before each
 * evaluation. Worker 0 evaluates and writes the checkpoints and the report.
 *
 * <p>{@link #SINGLE} is one-machine training; {@link RingAllReduce} joins workers over TCP.
 */
public interface WorkerGroup {
    /** One worker alone: nothing to exchange. */
    WorkerGroup SINGLE = new WorkerGroup() {
        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int size() {
            return 1;
        }

        @Override
        public float[] sum(float[] values) {
            return values;
        }
    };

    /** This worker's index, 0 to {@code size() - 1}. */
    int rank();

    int size();

    /**
     * The element-wise sum of {@code values} over all workers, which may be {@code values} itself, summed in
     * place. Every worker must receive the same array bit for bit (each element added up in one order, by one
     * worker or by all), or their weights drift apart.
     */
    float[] sum(float[] values);

    /** Whether this worker evaluates and writes checkpoints and the report. */
    default boolean writes() {
        return rank() == 0;
    }

    /**
     * This worker's samples: every {@code size()}-th from its rank, each shard equally long (the last
     * {@code n mod size} samples are left out), so all workers take the same number of steps per epoch.
     */
    default <T> List<T> shard(List<T> samples) {
        int each = samples.size() / size();
        List<T> mine = new ArrayList<>(each);
        for (int i = 0; i < each; i++) {
            mine.add(samples.get(i * size() + rank()));
        }
        return mine;
    }

    /** This worker's share of the run's batch size; the batch must split evenly. */
    default int localBatchSize(int batchSize) {
        if (batchSize % size() != 0) {
            throw new IllegalArgumentException("batch size " + batchSize + " does not split evenly over "
                    + size() + " workers");
        }
        return batchSize / size();
    }

    /**
     * Replaces every trainable parameter's gradient (of the mean loss over this worker's {@code images}) by the
     * gradient of the mean loss over all workers' images. A worker whose batch was empty (every file bad) takes
     * part with weight 0.
     *
     * @return the images of this step over all workers; 0 means no worker had any, and there is no step to take
     */
    default int averageGradients(Module model, int images) {
        if (size() == 1) {
            return images;
        }
        List<Tensor> grads = new ArrayList<>();
        for (Parameter p : model.parameters()) {
            if (p.requiresGrad()) {
                grads.add(p.grad());
            }
        }
        float[] packed = pack(grads, images);
        packed[packed.length - 1] = images;
        float[] total = sum(packed);
        int count = Math.round(total[total.length - 1]);
        if (count > 0) {
            unpack(total, grads, 1f / count);
        }
        return count;
    }

    /** Sets every buffer (BatchNorm's running mean and variance) to its mean over the workers. */
    default void averageBuffers(Module model) {
        if (size() == 1) {
            return;
        }
        Collection<Tensor> buffers = model.namedBuffers().values();
        unpack(sum(pack(buffers, 1f)), buffers, 1f / size());
    }

    /** The tensors' values times {@code scale}, one after another, and one free slot at the end. */
    private static float[] pack(Collection<Tensor> tensors, float scale) {
        int length = 1;
        for (Tensor t : tensors) {
            length += t.size();
        }
        float[] packed = new float[length];
        int offset = 0;
        for (Tensor t : tensors) {
            float[] data = t.data();
            for (int i = 0; i < t.size(); i++) {
                packed[offset + i] = data[i] * scale;
            }
            offset += t.size();
        }
        return packed;
    }

    private static void unpack(float[] packed, Collection<Tensor> tensors, float scale) {
        int offset = 0;
        for (Tensor t : tensors) {
            float[] data = t.data();
            for (int i = 0; i < t.size(); i++) {
                data[i] = packed[offset + i] * scale;
            }
            offset += t.size();
        }
    }
}
