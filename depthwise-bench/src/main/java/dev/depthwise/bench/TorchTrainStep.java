package dev.depthwise.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The PyTorch side of {@code bench train}: runs {@code scripts/bench/torch_train_step.py} and reads its JSON. */
final class TorchTrainStep {
    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final String SCRIPT = "scripts/bench/torch_train_step.py";

    record Result(double medianStepSeconds, double imagesPerSecond) {
    }

    private final Path script;

    private TorchTrainStep(Path script) {
        this.script = script;
    }

    /** The runner, or null (after saying why on {@code out}) when Python, torch or the script is missing. */
    static TorchTrainStep find(PrintStream out) {
        Path script = locateScript();
        if (script == null) {
            out.println("PyTorch: skipped, " + SCRIPT + " not found above the working directory or the jar");
            return null;
        }
        if (!Files.isExecutable(PYTHON)) {
            out.println("PyTorch: skipped, " + PYTHON + " not found");
            return null;
        }
        try {
            String version = exec(List.of(PYTHON.toString(), "-c", "import torch, torchvision; print(torch.__version__)")).trim();
            out.println("PyTorch: " + version + " via " + PYTHON);
            return new TorchTrainStep(script);
        } catch (IOException e) {
            out.println("PyTorch: skipped, " + PYTHON + " has no torch/torchvision (" + e.getMessage() + ")");
            return null;
        }
    }

    Result run(String model, int batch, int size, int threads, int warmup, int runs) {
        try {
            String json = exec(List.of(PYTHON.toString(), script.toString(), "--model", model,
                    "--batch", Integer.toString(batch), "--size", Integer.toString(size),
                    "--threads", Integer.toString(threads), "--warmup", Integer.toString(warmup),
                    "--runs", Integer.toString(runs)));
            return new Result(number(json, "median_step_seconds"), number(json, "images_per_second"));
        } catch (IOException e) {
            System.err.println("PyTorch " + model + " batch " + batch + " failed: " + e.getMessage());
            return null;
        }
    }

    private static double number(String json, String key) throws IOException {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*([-0-9.eE+]+)").matcher(json);
        if (!m.find()) {
            throw new IOException("no " + key + " in the script's output: " + json);
        }
        return Double.parseDouble(m.group(1));
    }

    /** Runs a command; its stdout, or an IOException when it fails (its stderr goes to ours as it comes). */
    private static String exec(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            byte[] stdout = p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                throw new IOException("exit " + p.exitValue() + " from " + String.join(" ", command));
            }
            return new String(stdout, StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** The script, looked for above the working directory and above the bench jar (repo/depthwise-bench/target). */
    private static Path locateScript() {
        List<Path> starts = new ArrayList<>();
        starts.add(Path.of("").toAbsolutePath());
        try {
            starts.add(Path.of(TorchTrainStep.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        } catch (URISyntaxException | RuntimeException e) {
            // no code source: the working directory will do
        }
        for (Path start : starts) {
            for (Path dir = start; dir != null; dir = dir.getParent()) {
                Path candidate = dir.resolve(SCRIPT);
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }
}
