package dev.depthwise.spark;

import dev.depthwise.engine.Tensor;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import dev.depthwise.train.Adam;
import dev.depthwise.train.Loss;
import dev.depthwise.train.RingAllReduce;
import dev.depthwise.train.WorkerGroup;
import org.apache.spark.BarrierTaskContext;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A barrier task that takes one data-parallel training step of SegNet-DSC on its own random batch, its gradients
 * averaged through the ring, and reports its process id and the SHA-256 of its weights and BatchNorm statistics
 * afterwards: the same hash on every worker means the exchange left them all with the same model.
 */
final class StepProbe implements BarrierWorkers.Task<String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String run(BarrierTaskContext context) throws IOException {
        try (RingAllReduce ring = BarrierWorkers.join(context, Duration.ofMinutes(2))) {
            return ProcessHandle.current().pid() + " " + step(ring);
        }
    }

    /** One step of a seeded SegNet-DSC at 32x32 on a batch of 2 drawn from the worker's rank; the model's hash after it. */
    static String step(WorkerGroup workers) {
        Module model = Models.create(ModelSpec.of(Models.SEGNET_DSC).withSeed(1));
        Adam adam = new Adam(model.namedParameters(), 1e-3);
        SplittableRandom rng = new SplittableRandom(100 + workers.rank());
        Tensor x = Tensor.zeros(2, 3, 32, 32);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = (float) rng.nextDouble(-1, 1);
        }
        int[] target = rng.ints(2 * 32 * 32, 0, 3).toArray();
        model.train(true);
        adam.zeroGrad();
        Tensor logits = model.forward(x);
        Tensor grad = Tensor.zeros(logits.shape());
        Loss.CE.value(logits, target, grad);
        model.backward(grad);
        workers.averageGradients(model, 2);
        adam.step();
        workers.averageBuffers(model);
        return hash(model.stateDict());
    }

    private static String hash(Map<String, Tensor> state) {
        try {
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, Tensor> e : new TreeMap<>(state).entrySet()) {
                digest.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                ByteBuffer bytes = ByteBuffer.allocate(e.getValue().size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(e.getValue().data(), 0, e.getValue().size());
                digest.update(bytes);
            }
            return java.util.HexFormat.of().formatHex(digest.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
