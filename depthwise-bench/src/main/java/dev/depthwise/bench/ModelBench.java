package dev.depthwise.bench;

import ai.onnxruntime.OrtSession;
import dev.depthwise.engine.Tensor;
import dev.depthwise.io.onnx.OnnxExporter;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.inference.CompileOptions;
import dev.depthwise.nn.Summary;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Inference: each model exported to ONNX with its weights (seeded initialisation, BatchNorm statistics
 * calibrated on a random batch so outputs are of order one), then run by us and by ONNX
 * Runtime on the same random batch. Each of our inference paths ({@link ModuleRunner}, {@link PlannedRunner})
 * gets a row: median latency, its ratio to ONNX Runtime's, the largest output difference, Java heap
 * allocated per call and peak heap.
 */
final class ModelBench {
    /** Outputs of ours and ONNX Runtime must agree this closely (or see {@link #runCase}) or the run fails. */
    static final double MAX_DIFF = 1e-3;

    record Case(String model, int size, List<Integer> batches) {
    }

    static final List<Case> CASES = List.of(
            new Case("mobilenet_v2", 224, List.of(1, 8)),
            new Case("segnet_dsc", 128, List.of(1, 16)),
            new Case("segnet", 128, List.of(1, 16)));

    private final int threads;
    private final int warmup;
    private final int runs;
    private final String only;
    private final CompileOptions options;
    private final boolean isolated;
    private final PrintStream out;

    ModelBench(int threads, int warmup, int runs, String only, CompileOptions options, boolean isolated,
               PrintStream out) {
        this.only = only;
        this.options = options;
        this.threads = threads;
        this.warmup = warmup;
        this.runs = runs;
        this.isolated = isolated;
        this.out = out;
    }

    /** The model as every run of the bench builds it: seeded initialisation, BatchNorm calibrated, eval mode. */
    static Module calibratedModel(String name, int size) {
        Module model = Models.create(name);
        Calibration.batchNormStatistics(model, BenchTensors.randomInput(2, 3, size, size, 1));
        return model;
    }

    static byte[] export(Module model, String name, int size) {
        return OnnxExporter.toBytes(model, name, 3, size, size);
    }

    /** Runs every case; false when some output differed by more than {@link #MAX_DIFF}. */
    boolean run() throws Exception {
        double peak = GemmPeak.measureGflops();
        out.printf("GEMM peak: %.1f GFLOP/s (our GEMM, %d^3, %d threads, best call); GFLOP/s below are a model's"
                + " direct-convolution multiply-adds x 2 per second, and %%peak their share of this%n", peak,
                GemmPeak.SIZE, threads);
        out.printf("inference: median of %d runs after at least %d warm-up runs and 2 s; ours = eval-mode Module.forward, ours-planned ="
                + " InferenceModel (BatchNorm folded, fused activations, planned buffers; " + options + "); ORT = ONNX Runtime on our"
                + " export (one direct input tensor reused, output pinned to a direct buffer); the engines take turns in blocks of back-to-back runs, each after a 100 ms pause and 0.2 s of untimed runs%n"
                + "%sallocation = Java heap bytes per call on the calling thread + depthwise-* pool workers"
                + " (ONNX Runtime's native memory not included); peak heap = sum of the heap pools' peaks%n", runs, warmup,
                isolated ? "alone = the same measurement in a JVM of its own per engine (--isolated); ratio = ours / ORT's"
                        + " better figure (in the bench or alone)\n" : "ratio = ours / ORT (add --isolated to time each engine alone too)\n");
        out.printf("%-13s %-9s %5s %-12s | %8s %8s %8s %8s %6s %6s | %7s %7s %5s | %9s %9s | %10s %10s | %9s%n",
                "model", "input", "batch", "engine", "ms", "alone ms", "ORT ms", "ORT alone", "ratio", "alone",
                "GFLOP/s", "ORT GF/s", "%peak", "max |diff|", "max |out|", "B/call", "ORT B/call", "peak heap");
        boolean ok = true;
        for (Case c : CASES) {
            if (only != null && !only.equals(c.model())) {
                continue;
            }
            Module model = calibratedModel(c.model(), c.size());
            byte[] onnx = export(model, c.model(), c.size());
            double flopsPerImage = 2.0 * Summary.of(model, 3, c.size(), c.size()).totalMacs();
            try (InferenceRunner module = new ModuleRunner(model); InferenceRunner planned = new PlannedRunner(model, options);
                 InferenceRunner ort = new OrtRunner(onnx, threads);
                 InferenceRunner unoptimised = new OrtRunner(onnx, threads, OrtSession.SessionOptions.OptLevel.NO_OPT)) {
                for (int batch : c.batches()) {
                    ok &= runCase(c, batch, flopsPerImage * batch, peak, List.of(module, planned), ort, unoptimised);
                }
            }
        }
        out.println(ok ? "outputs agree: within " + MAX_DIFF + ", or no further apart than an engine moves from itself"
                : "FAILED: outputs differ by more than " + MAX_DIFF);
        return ok;
    }

    private boolean runCase(Case c, int batch, double flops, double peak, List<InferenceRunner> ours,
                            InferenceRunner ort, InferenceRunner unoptimised) throws Exception {
        Tensor input = BenchTensors.randomInput(batch, 3, c.size(), c.size());
        float[] reference = ort.run(input).data().clone();
        List<float[]> outputs = new ArrayList<>();
        List<Measurement.Work> works = new ArrayList<>();
        for (InferenceRunner runner : ours) {
            outputs.add(runner.run(input).data().clone());
            works.add(() -> runner.infer(input));
        }
        works.add(() -> ort.infer(input));
        List<Measurement.Result> results = Measurement.measureInterleaved(works, warmup, runs);
        Measurement.Result r = results.get(ours.size());
        double ortAlone = isolated ? alone(c, batch, IsolatedRun.ORT) : Double.NaN;
        double ortBest = isolated ? Math.min(r.medianMillis(), ortAlone) : r.medianMillis();
        long ortSelf = -1;
        boolean ok = true;
        for (int i = 0; i < ours.size(); i++) {
            InferenceRunner runner = ours.get(i);
            float[] expected = outputs.get(i);
            Measurement.Result o = results.get(i);
            double diff = BenchTensors.maxAbsDiff(expected, reference);
            double oursAlone = isolated && runner.name().equals(IsolatedRun.PLANNED)
                    ? alone(c, batch, IsolatedRun.PLANNED) : Double.NaN;
            out.printf("%-13s %-9s %5d %-12s | %8.1f %8s %8.1f %8s %6.2f %6s | %7.1f %7.1f %5.0f | %9.2e %9.2e | %10s %10s | %9s%n",
                    c.model(), "3x" + c.size() + "x" + c.size(), batch, runner.name(), o.medianMillis(),
                    millis(oursAlone), r.medianMillis(), millis(ortAlone), o.medianMillis() / ortBest,
                    Double.isNaN(oursAlone) ? "-" : String.format("%.2f", oursAlone / ortBest),
                    flops / o.medianNanos(), flops / r.medianNanos(), 100 * flops / o.medianNanos() / peak, diff,
                    maxAbs(expected), bytes(o.allocatedBytesPerCall()), bytes(r.allocatedBytesPerCall()),
                    bytes(o.peakHeapBytes()));
            if (diff <= MAX_DIFF) {
                continue;
            }
            // SegNet's max-pool picks one position per 2x2 window; where two values there differ by less than
            // float rounding, engines (and ONNX Runtime against itself once it folds BatchNorm into the convs)
            // pick different ones, and the unpool moves that value a pixel. So measure how far ONNX Runtime moves
            // from itself under rounding-sized changes — its unoptimised graph, and the input scaled by 1 +- 1e-6
            // (a plain SegNet at 128x128 moves 14% of its outputs beyond 1e-3 under the latter alone) — and accept
            // ours when it disagrees with ONNX Runtime no more than twice that — or than twice our own engine moves
            // under the same jitter: which side of a tie each engine lands on is chance, and on JDK 25 ONNX Runtime
            // once happened to move 0 outputs on an input where our plain forward moved 10%. An export or kernel bug
            // disagrees almost everywhere, and at small sizes (no near-ties) the tests demand 1e-4.
            if (ortSelf < 0) {
                long unopt = countBeyond(unoptimised.run(input).data(), reference);
                long jittered = countBeyond(ort.run(jittered(input)).data(), reference);
                ortSelf = Math.max(unopt, jittered);
            }
            long ownSelf = countBeyond(runner.run(jittered(input)).data(), expected);
            long beyond = countBeyond(expected, reference);
            boolean accepted = beyond <= 2 * Math.max(ortSelf, ownSelf);
            out.printf("  %d of %d outputs (%.2f%%) differ by more than %s; ONNX Runtime against itself "
                            + "(unoptimised, or input x(1 +- 1e-6)): up to %d (%.2f%%); ours against itself (input "
                            + "x(1 +- 1e-6)): %d (%.2f%%): %s%n", beyond, expected.length,
                    100.0 * beyond / expected.length, MAX_DIFF, ortSelf, 100.0 * ortSelf / expected.length, ownSelf,
                    100.0 * ownSelf / expected.length, accepted ? "max-pool near-ties, accepted" : "FAILED");
            ok &= accepted;
        }
        return ok;
    }

    private double alone(Case c, int batch, String engine) throws Exception {
        return IsolatedRun.medianMillis(c.model(), c.size(), batch, engine, threads, warmup, runs, options);
    }

    private static String millis(double ms) {
        return Double.isNaN(ms) ? "-" : String.format("%.1f", ms);
    }

    /** The input with each value scaled by 1 + 1e-6 * N(0, 1), seeded: a change of the size of float rounding. */
    private static Tensor jittered(Tensor input) {
        Tensor t = input.copy();
        java.util.Random r = new java.util.Random(7);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] *= 1 + 1e-6f * (float) r.nextGaussian();
        }
        return t;
    }

    private static long countBeyond(float[] a, float[] b) {
        long n = 0;
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) > MAX_DIFF) {
                n++;
            }
        }
        return n;
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float f : v) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }

    /** Bytes in B, KiB, MiB or GiB, short enough for a table cell. */
    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
