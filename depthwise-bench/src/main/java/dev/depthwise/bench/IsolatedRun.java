package dev.depthwise.bench;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.inference.CompileOptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code bench models --isolated} and {@code bench train --isolated}: one engine on one case, timed in a JVM of its
 * own, so that nothing else (another engine's spinning workers, its caches, its heap, the code C2 compiled for the
 * models timed before) shares the process. The parent starts this class with its own JVM options and class path; the
 * child builds the same seeded model, times it with the same {@link Measurement}, and prints one result line.
 */
final class IsolatedRun {
    static final String PLANNED = "ours-planned";
    static final String ORT = "onnxruntime";
    private static final String INFER = "infer";
    private static final String TRAIN = "train";
    private static final String RESULT = "isolated_result ";

    private IsolatedRun() {
    }

    /**
     * Child side: {@code infer MODEL SIZE BATCH ENGINE THREADS WARMUP RUNS LAYOUT FUSE-SEPARABLE WINOGRAD} or
     * {@code train MODEL SIZE BATCH THREADS WARMUP RUNS WINOGRAD}.
     */
    public static void main(String[] args) throws Exception {
        String model = args[1];
        int size = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        Measurement.Result r = switch (args[0]) {
            case INFER -> infer(model, size, batch, args[4], Integer.parseInt(args[5]), Integer.parseInt(args[6]),
                    Integer.parseInt(args[7]), CompileOptions.defaults().withLayout(CompileOptions.Layout.valueOf(args[8]))
                            .withFuseSeparable(Boolean.parseBoolean(args[9])).withWinograd(Boolean.parseBoolean(args[10])));
            case TRAIN -> {
                Parallel.setThreads(Integer.parseInt(args[4]));
                yield TrainBench.measureStep(model, size, batch, Boolean.parseBoolean(args[7]),
                        Integer.parseInt(args[5]), Integer.parseInt(args[6]));
            }
            default -> throw new IllegalArgumentException("isolated run: unknown kind '" + args[0] + "'");
        };
        System.out.println(RESULT + r.medianNanos() + " " + r.allocatedBytesPerCall() + " " + r.peakHeapBytes());
    }

    private static Measurement.Result infer(String model, int size, int batch, String engine, int threads, int warmup,
                                            int runs, CompileOptions options) throws Exception {
        Parallel.setThreads(threads);
        Module m = ModelBench.calibratedModel(model, size);
        Tensor input = BenchTensors.randomInput(batch, 3, size, size);
        try (InferenceRunner runner = switch (engine) {
            case PLANNED -> new PlannedRunner(m, options);
            case ORT -> new OrtRunner(ModelBench.export(m, model, size), threads);
            default -> throw new IllegalArgumentException("isolated run: unknown engine '" + engine + "'");
        }) {
            return Measurement.measure(() -> runner.infer(input), warmup, runs);
        }
    }

    /** Parent side: runs one engine's inference on one case in a new JVM and returns its median in milliseconds. */
    static double medianMillis(String model, int size, int batch, String engine, int threads, int warmup, int runs,
                               CompileOptions options) throws IOException, InterruptedException {
        return launch(engine + " on " + model + " batch " + batch, INFER, model, size, batch, engine, threads, warmup,
                runs, options.layout(), options.fuseSeparable(), options.winograd()).medianMillis();
    }

    /**
     * Parent side: times our training step ({@link TrainBench#measureStep}) of one model in a new JVM; the result has
     * the median, the bytes allocated per step and the peak heap, not the single runs.
     */
    static Measurement.Result trainStep(String model, int size, int batch, int threads, int warmup, int runs,
                                        boolean winograd) throws IOException, InterruptedException {
        return launch("training of " + model + " batch " + batch, TRAIN, model, size, batch, threads, warmup, runs,
                winograd);
    }

    private static Measurement.Result launch(String what, Object... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The parent's JVM options (--add-modules jdk.incubator.vector, heap, JIT flags), so both run alike.
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(IsolatedRun.class.getName());
        for (Object a : args) {
            command.add(String.valueOf(a));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        String result = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith(RESULT)) {
                    result = line.substring(RESULT.length()).trim();
                } else {
                    log.append(line).append('\n');
                }
            }
        }
        int exit = p.waitFor();
        if (exit != 0 || result == null) {
            throw new IllegalStateException(String.format(Locale.ROOT, "isolated run of %s failed (exit %d):%n%s",
                    what, exit, log.toString().strip()));
        }
        String[] fields = result.split(" ");
        long median = Long.parseLong(fields[0]);
        return new Measurement.Result(median, new long[] {median}, Long.parseLong(fields[1]), Long.parseLong(fields[2]));
    }
}
