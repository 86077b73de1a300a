package dev.depthwise.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a benchmark's {@code main} in fresh JVMs, one after another, and sums up its figures over them: the least,
 * median and greatest of each row's GFLOP/s. A row is a line of the child's table, {@code NAME THREADS MEDIAN-MS
 * GFLOP/S BEST-GFLOP/S} (as {@link KernelBench} prints it).
 */
final class FreshJvms {
    private FreshJvms() {
    }

    static void run(Class<?> main, List<String> args, int jvms) {
        KernelBench.printMachine();
        Map<String, List<Double>> figures = new LinkedHashMap<>();
        for (int jvm = 1; jvm <= jvms; jvm++) {
            for (String line : runChild(main, args)) {
                System.out.println("jvm " + jvm + ": " + line);
                String[] f = line.trim().split("\\s+");
                if (f.length >= 5 && isNumber(f[f.length - 1]) && isNumber(f[f.length - 2])
                        && isNumber(f[f.length - 3]) && f[f.length - 4].matches("\\d+")) {
                    String name = String.join(" ", List.of(f).subList(0, f.length - 4));
                    figures.computeIfAbsent(String.format(Locale.ROOT, "%-40s %8s", name, f[f.length - 4]),
                            k -> new ArrayList<>()).add(Double.parseDouble(f[f.length - 2]));
                }
            }
        }
        System.out.printf(Locale.ROOT, "%nGFLOP/s of each JVM's median, over %d fresh JVMs%n", jvms);
        System.out.printf(Locale.ROOT, "%-40s %8s %8s %8s %8s   %s%n", "kernel", "threads", "least", "median",
                "greatest", "each JVM");
        for (Map.Entry<String, List<Double>> e : figures.entrySet()) {
            List<Double> sorted = new ArrayList<>(e.getValue());
            sorted.sort(null);
            StringBuilder each = new StringBuilder();
            for (double g : e.getValue()) {
                each.append(String.format(Locale.ROOT, " %.1f", g));
            }
            System.out.printf(Locale.ROOT, "%s %8.1f %8.1f %8.1f  %s%n", e.getKey(), sorted.get(0),
                    sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), each);
        }
    }

    private static boolean isNumber(String s) {
        return s.matches("-?\\d+(\\.\\d+)?");
    }

    /** The child's output lines; it runs with this JVM's options (modules, heap, JIT flags). */
    private static List<String> runChild(Class<?> main, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        List<String> lines = new ArrayList<>();
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            }
            int exit = p.waitFor();
            if (exit != 0) {
                throw new IllegalStateException(main.getSimpleName() + " in a fresh JVM failed (exit " + exit + "): "
                        + String.join("\n", lines));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return lines;
    }
}
