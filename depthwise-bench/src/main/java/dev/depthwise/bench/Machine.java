package dev.depthwise.bench;

import dev.depthwise.engine.op.RegisterTiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** What a benchmark ran on, printed at the top of every run so a figure never travels without it. */
final class Machine {
    private Machine() {
    }

    static String header(int threads, String command) {
        Runtime rt = Runtime.getRuntime();
        return String.join("\n",
                "date:    " + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
                "machine: " + cpuModel() + ", " + rt.availableProcessors() + " cores available to the JVM, "
                        + (rt.maxMemory() >> 20) + " MiB max heap",
                "jdk:     " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                "tiles:   " + RegisterTiles.inUse(),
                "threads: " + threads + " (ours: Parallel pool; ONNX Runtime: intra-op " + threads
                        + ", inter-op 1; PyTorch: set_num_threads(" + threads + "))",
                "load:    " + loadAverage() + " (1, 5, 15 min; above the core count, every engine here is starved)",
                "command: " + command);
    }

    /** The load averages from /proc/loadavg (Linux), or "unknown": a busy machine must show in the figures. */
    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The CPU model from /proc/cpuinfo (Linux), or os.arch elsewhere. */
    static String cpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
