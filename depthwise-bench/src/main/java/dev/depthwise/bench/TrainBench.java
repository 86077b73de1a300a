package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.LossOp;
import dev.depthwise.engine.op.WinogradPolicy;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.Summary;
import dev.depthwise.train.Adam;

import java.io.PrintStream;
import java.util.List;
import java.util.Random;

/**
 * Training throughput: one step = forward, cross-entropy, backward, Adam (lr 1e-3) on random 128x128
 * images and labels, the model in training mode. Where {@code /usr/bin/python3} has torch, the same steps
 * in PyTorch ({@code scripts/bench/torch_train_step.py}) in the same run, for the ratio.
 */
final class TrainBench {
    /** Images in Oxford-IIIT Pet's trainval split: one epoch. */
    static final int EPOCH_IMAGES = 3680;
    static final int SIZE = 128;
    static final List<String> MODELS = List.of("segnet_dsc", "segnet", "mobilenet_v2");

    private final int threads;
    private final int warmup;
    private final int runs;
    private final List<Integer> batches;
    private final String only;
    private final boolean winograd;
    private final boolean isolated;
    private final PrintStream out;

    TrainBench(int threads, int warmup, int runs, List<Integer> batches, String only, boolean winograd,
               boolean isolated, PrintStream out) {
        this.only = only;
        this.winograd = winograd;
        this.isolated = isolated;
        this.threads = threads;
        this.warmup = warmup;
        this.runs = runs;
        this.batches = batches;
        this.out = out;
    }

    void run() throws Exception {
        TorchTrainStep torch = TorchTrainStep.find(out);
        double peak = GemmPeak.measureGflops();
        // Training steps are long: fewer warm-ups and runs than inference keep the whole run short. But at least
        // two warm-up steps: the first allocates every buffer (GiBs) and the second still meets code C2 has not
        // compiled yet; from the third on a step allocates almost nothing (measured with a per-step counter).
        int trainWarmup = Math.max(2, Math.min(warmup, 3));
        int trainRuns = Math.max(1, Math.min(runs, 3));
        out.printf("%ntraining at %dx%d, Adam lr 1e-3, cross-entropy, random data: median step of %d runs after at "
                + "least %d warm-up steps and 2 s; epoch = %d images; dense 3x3 convs: %s%n", SIZE, SIZE, trainRuns,
                trainWarmup, EPOCH_IMAGES, winograd ? "Winograd where the cost model chooses it"
                        + " (--no-winograd-training: direct)" : "direct");
        out.printf("GEMM peak: %.1f GFLOP/s (our GEMM, %d^3, %d threads, best call); GFLOP/s = 3 x the forward pass's"
                + " direct-convolution multiply-adds x 2 per image (forward, input and weight gradients), %%peak = ours"
                + " against the GEMM peak%n", peak, GemmPeak.SIZE, threads);
        out.printf("peak heap = the most Java heap in use during the timed steps in the run, after a full collection: kept"
                + " activations, the layers' shared pool of gradients and recomputed activations, parameters, gradients"
                + " and Adam's moments, kernel scratch, the batch (max heap %d MiB)%n", Runtime.getRuntime().maxMemory() >> 20);
        out.printf("in run = ours timed in this JVM, one model after another (the kernels C2 compiled for the models"
                + " before are shared); alone = ours timed again in a JVM of its own per model and batch%s; torch ="
                + " PyTorch in a process of its own; ours/torch = the ratio of step times%n",
                isolated ? "" : " (add --isolated)");
        out.printf("%-13s %5s | %13s %9s %9s | %12s %9s %9s | %12s %9s | %12s %11s | %8s %10s %5s | %13s %10s%n", "model",
                "batch", "in run s/step", "img/s", "epoch", "alone s/step", "img/s", "B/step", "torch s/step",
                "img/s", "in run/torch", "alone/torch", "GFLOP/s", "torch GF/s", "%peak", "in run B/step", "peak heap");
        for (String name : MODELS) {
            if (only != null && !only.equals(name)) {
                continue;
            }
            double flopsPerImage = 3 * 2.0 * Summary.of(Models.create(name), 3, SIZE, SIZE).totalMacs();
            for (int batch : batches) {
                Measurement.Result r;
                try {
                    r = measureStep(name, SIZE, batch, winograd, trainWarmup, trainRuns);
                } catch (OutOfMemoryError e) {
                    // Big batches of the full SegNet need more heap than a shared machine may give; say so, go on.
                    out.printf("%-13s %5d | out of Java heap (max %d MiB; raise it with DEPTHWISE_JAVA_OPTS=-Xmx...)%n",
                            name, batch, Runtime.getRuntime().maxMemory() >> 20);
                    continue;
                }
                Measurement.Result alone = isolated ? alone(name, batch, trainWarmup, trainRuns) : null;
                double seconds = r.medianNanos() / 1e9;
                double aloneSeconds = alone == null ? Double.NaN : alone.medianNanos() / 1e9;
                double imagesPerSecond = batch / seconds;
                TorchTrainStep.Result t = torch == null ? null : torch.run(name, batch, SIZE, threads, trainWarmup, trainRuns);
                double torchSeconds = t == null ? Double.NaN : t.medianStepSeconds();
                // The GFLOP/s and share of the peak are the better of ours in the run and alone.
                double gflops = flopsPerImage * batch / Math.min(seconds, alone == null ? seconds : aloneSeconds) / 1e9;
                out.printf("%-13s %5d | %13.3f %9.1f %9s | %12s %9s %9s | %12s %9s | %12s %11s | %8.1f %10s %5.0f | %13s %10s%n",
                        name, batch, seconds, imagesPerSecond, duration(EPOCH_IMAGES / imagesPerSecond),
                        format("%.3f", aloneSeconds), format("%.1f", batch / aloneSeconds),
                        alone == null ? "-" : ModelBench.bytes(alone.allocatedBytesPerCall()),
                        format("%.3f", torchSeconds), format("%.1f", batch / torchSeconds),
                        format("%.2f", seconds / torchSeconds), format("%.2f", aloneSeconds / torchSeconds), gflops,
                        t == null ? "-" : String.format("%.1f", flopsPerImage * t.imagesPerSecond() / 1e9),
                        100 * gflops / peak, ModelBench.bytes(r.allocatedBytesPerCall()),
                        String.format("%,d MiB", r.peakHeapBytes() >> 20));
            }
        }
    }

    /** Our training step of one model, timed by {@link Measurement} in this JVM: in the run, or as the isolated child. */
    static Measurement.Result measureStep(String name, int size, int batch, boolean winograd, int warmup, int runs)
            throws Exception {
        Module model = Models.create(name);
        Conv2d.setWinograd(model, winograd ? WinogradPolicy.COST_MODEL : WinogradPolicy.NEVER);
        Step step = new Step(model, batch, size);
        return Measurement.measure(step::run, warmup, runs);
    }

    /** Our step timed in a JVM of its own; null (said on {@code out}) when that JVM failed, e.g. out of heap. */
    private Measurement.Result alone(String name, int batch, int trainWarmup, int trainRuns) throws Exception {
        try {
            return IsolatedRun.trainStep(name, SIZE, batch, threads, trainWarmup, trainRuns, winograd);
        } catch (IllegalStateException e) {
            out.println(e.getMessage().lines().findFirst().orElse("") + " (last line: "
                    + e.getMessage().lines().reduce((a, b) -> b).orElse("") + ")");
            return null;
        }
    }

    /** A figure, or "-" for one not measured (NaN). */
    private static String format(String pattern, double value) {
        return Double.isNaN(value) ? "-" : String.format(pattern, value);
    }

    /** One training step with fixed random data; buffers live across steps as in a training loop. */
    static final class Step {
        private final Module model;
        private final Adam adam;
        private final Tensor images;
        private int[] labels;
        private Tensor gradLogits;

        Step(Module model, int batch, int size) {
            this.model = model;
            model.train(true);
            model.skipInputGradient(); // as the trainer's: the input is the images
            this.adam = new Adam(model.namedParameters(), 1e-3);
            this.images = BenchTensors.randomInput(batch, 3, size, size);
        }

        void run() {
            adam.zeroGrad();
            Tensor logits = model.forward(images);
            if (labels == null) {
                labels = randomLabels(logits);
                gradLogits = Tensor.zeros(logits.shape());
            }
            LossOp.crossEntropy(logits, labels, null, -100, gradLogits);
            model.backward(gradLogits);
            adam.step();
        }

        /** A class per pixel ([N,C,H,W] logits) or per image ([N,C]), out of the model's C classes. */
        private static int[] randomLabels(Tensor logits) {
            int perImage = logits.rank() == 4 ? logits.h() * logits.w() : 1;
            int[] labels = new int[logits.n() * perImage];
            Random rnd = new Random(7);
            for (int i = 0; i < labels.length; i++) {
                labels[i] = rnd.nextInt(logits.c());
            }
            return labels;
        }
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60)
                : String.format("%dm%02ds", s / 60, s % 60);
    }
}
