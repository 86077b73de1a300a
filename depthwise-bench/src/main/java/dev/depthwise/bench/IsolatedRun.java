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
 * {@code bench models --isolated}: one engine on one case, timed in a JVM of its own, so that nothing else
 * (another engine's spinning workers, its caches, its heap) shares the process. The parent starts this class
 * with its own JVM options and class path; the child builds the same seeded, calibrated model, times it with the
 * same {@link Measurement}, and prints one line {@code median_nanos N}.
 */
final class IsolatedRun {
    static final String PLANNED = "ours-planned";
    static final String ORT = "onnxruntime";
    private static final String RESULT = "median_nanos ";

    private IsolatedRun() {
    }

    /** Child side: {@code MODEL SIZE BATCH ENGINE THREADS WARMUP RUNS LAYOUT FUSE-SEPARABLE WINOGRAD}. */
    public static void main(String[] args) throws Exception {
        String model = args[0];
        int size = Integer.parseInt(args[1]);
        int batch = Integer.parseInt(args[2]);
        String engine = args[3];
        int threads = Integer.parseInt(args[4]);
        int warmup = Integer.parseInt(args[5]);
        int runs = Integer.parseInt(args[6]);
        CompileOptions options = CompileOptions.defaults().withLayout(CompileOptions.Layout.valueOf(args[7]))
                .withFuseSeparable(Boolean.parseBoolean(args[8])).withWinograd(Boolean.parseBoolean(args[9]));
        Parallel.setThreads(threads);
        Module m = ModelBench.calibratedModel(model, size);
        Tensor input = BenchTensors.randomInput(batch, 3, size, size);
        try (InferenceRunner runner = switch (engine) {
            case PLANNED -> new PlannedRunner(m, options);
            case ORT -> new OrtRunner(ModelBench.export(m, model, size), threads);
            default -> throw new IllegalArgumentException("isolated run: unknown engine '" + engine + "'");
        }) {
            Measurement.Result r = Measurement.measure(() -> runner.infer(input), warmup, runs);
            System.out.println(RESULT + r.medianNanos());
        }
    }

    /** Parent side: runs one engine on one case in a new JVM and returns its median in milliseconds. */
    static double medianMillis(String model, int size, int batch, String engine, int threads, int warmup, int runs,
                               CompileOptions options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The parent's JVM options (--add-modules jdk.incubator.vector, heap, JIT flags), so both run alike.
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(IsolatedRun.class.getName());
        for (Object a : new Object[] {model, size, batch, engine, threads, warmup, runs, options.layout(),
                options.fuseSeparable(), options.winograd()}) {
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
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "isolated run of %s on %s batch %d failed (exit %d):%n%s", engine, model, batch, exit, log));
        }
        return Long.parseLong(result) / 1e6;
    }
}
