package dev.depthwise.train;

import dev.depthwise.data.SyntheticPets;
import dev.depthwise.engine.Tensor;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.Parameter;
import dev.depthwise.nn.ReLU;
import dev.depthwise.nn.Sequential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Data-parallel training's arithmetic and the Trainer's part in it, with workers as threads of one JVM. */
class WorkerGroupTest {
    @TempDir
    Path root;

    /** Workers as threads exchanging through shared slots: the smallest transport that behaves like a real one. */
    private static final class ThreadWorkers {
        final float[][] slots;
        final CyclicBarrier barrier;

        ThreadWorkers(int size) {
            slots = new float[size][];
            barrier = new CyclicBarrier(size);
        }

        WorkerGroup worker(int rank) {
            return new WorkerGroup() {
                @Override
                public int rank() {
                    return rank;
                }

                @Override
                public int size() {
                    return slots.length;
                }

                @Override
                public float[] sum(float[] values) {
                    try {
                        slots[rank] = values.clone();
                        barrier.await();
                        float[] total = new float[values.length];
                        for (float[] theirs : slots) {
                            for (int i = 0; i < total.length; i++) {
                                total[i] += theirs[i];
                            }
                        }
                        barrier.await(); // nobody refills a slot before everyone has read them all
                        return total;
                    } catch (InterruptedException | BrokenBarrierException e) {
                        throw new IllegalStateException(e);
                    }
                }
            };
        }
    }

    private static <T> List<T> runAll(List<Callable<T>> workers) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(workers.size());
        try {
            List<T> out = new ArrayList<>();
            for (Future<T> f : pool.invokeAll(workers)) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Conv-ReLU-conv: no layer sees the rest of the batch, so the halves' gradients must add up to the whole's. */
    private static Module net() {
        Module m = new Sequential(new Conv2d(3, 8, 3, 1, 1, 1, true), new ReLU(), new Conv2d(8, 3, 3, 1, 1, 1, true));
        m.resetParameters(new SplittableRandom(3));
        return m;
    }

    private static List<float[]> gradients(Module model, Tensor x, int[] target) {
        model.zeroGrad();
        Tensor logits = model.forward(x);
        Tensor grad = Tensor.zeros(logits.shape());
        Loss.CE.value(logits, target, grad);
        model.backward(grad);
        return model.parameters().stream().map(p -> p.grad().data().clone()).toList();
    }

    @Test
    void averagedHalfBatchGradientsAreTheWholeBatchGradient() throws Exception {
        int n = 4;
        int plane = 8 * 8;
        SplittableRandom rng = new SplittableRandom(11);
        Tensor x = Tensor.zeros(n, 3, 8, 8);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = (float) rng.nextDouble(-1, 1);
        }
        int[] target = rng.ints(n * plane, 0, 3).toArray();
        List<float[]> whole = gradients(net(), x, target);

        ThreadWorkers group = new ThreadWorkers(2);
        List<Callable<List<float[]>>> workers = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            int r = rank;
            workers.add(() -> {
                Tensor half = Tensor.zeros(2, 3, 8, 8);
                System.arraycopy(x.data(), r * half.size(), half.data(), 0, half.size());
                int[] halfTarget = new int[2 * plane];
                System.arraycopy(target, r * halfTarget.length, halfTarget, 0, halfTarget.length);
                Module model = net();
                gradients(model, half, halfTarget);
                assertEquals(4, group.worker(r).averageGradients(model, 2));
                return model.parameters().stream().map(p -> p.grad().data().clone()).toList();
            });
        }
        for (List<float[]> averaged : runAll(workers)) {
            for (int p = 0; p < whole.size(); p++) {
                for (int i = 0; i < whole.get(p).length; i++) {
                    float expected = whole.get(p)[i];
                    assertEquals(expected, averaged.get(p)[i], 1e-6 + 1e-4 * Math.abs(expected), "parameter " + p + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void anEmptyBatchTakesPartWithWeightZero() throws Exception {
        ThreadWorkers group = new ThreadWorkers(2);
        List<Callable<float[]>> workers = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            int r = rank;
            workers.add(() -> {
                Module model = new Sequential(new Conv2d(1, 1, 1, 1, 0, 1, false));
                Parameter w = model.parameters().get(0);
                w.grad().fill(r == 0 ? 6f : 100f); // worker 1's batch was empty: its stale gradient must not count
                assertEquals(3, group.worker(r).averageGradients(model, r == 0 ? 3 : 0));
                return w.grad().data().clone();
            });
        }
        for (float[] grad : runAll(workers)) {
            assertEquals(6f, grad[0]);
        }
    }

    @Test
    void shardsAreDisjointAndEqual() {
        List<Integer> samples = List.of(0, 1, 2, 3, 4, 5, 6);
        ThreadWorkers group = new ThreadWorkers(3);
        assertEquals(List.of(0, 3), group.worker(0).shard(samples));
        assertEquals(List.of(1, 4), group.worker(1).shard(samples));
        assertEquals(List.of(2, 5), group.worker(2).shard(samples));
        assertEquals(2, group.worker(1).localBatchSize(6));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> group.worker(0).localBatchSize(4));
        assertTrue(e.getMessage().contains("batch size 4"), e.getMessage());
    }

    @Test
    void twoWorkersTrainAndWorkerZeroWritesTheRun() throws Exception {
        Path data = root.resolve("data");
        SyntheticPets.generate(data, 16, 40, 5);
        RunConfig config = new RunConfig(ModelSpec.of(Models.SEGNET_DSC).withSeed(1).toMap(), data.toString(), 1, 4, 32,
                "adam", 1e-3, null, 0.9, false, "step", 1, 0.5, "ce", 7);
        ThreadWorkers group = new ThreadWorkers(2);
        List<Callable<Trainer.Result>> workers = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            int r = rank;
            workers.add(() -> new Trainer(config, root.resolve("worker" + r), Progress.silent(), 1, group.worker(r)).run(Trainer.Start.NEW));
        }
        List<Trainer.Result> results = runAll(workers);

        Trainer.Result writer = results.get(0);
        assertEquals(1, writer.history().size());
        assertNotNull(writer.report());
        Checkpoint.Contents last = Checkpoint.read(writer.lastCheckpoint());
        assertEquals(4, last.info().config().batchSize(), "the checkpoint keeps the run's whole batch size");
        // 8 trainval images: 4 per worker, 2 per step, so 2 steps.
        assertEquals(2, last.info().optimizerSteps());
        assertTrue(results.get(1).history().isEmpty());
        assertNull(results.get(1).lastCheckpoint());
        try (Stream<Path> files = Files.list(root.resolve("worker1"))) {
            assertFalse(files.findAny().isPresent(), "worker 1 writes nothing");
        }
    }
}
