package dev.depthwise.bench;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.WinogradPolicy;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.inference.CompileOptions;
import dev.depthwise.nn.inference.InferenceModel;
import dev.depthwise.train.CommandErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Whether the JIT compiles the kernels without boxing, over many fresh JVMs: C2's choices depend on the timing of
 * profiles and compiles, so one JVM that allocates nothing proves little (see docs/jvm-notes.md). Starts
 * {@code --jvms} JVMs with plain {@code java --add-modules jdk.incubator.vector} (plus any {@code --jvm-flag}), each
 * running one model's plan (or, with {@code --train}, its training step as {@code bench train} times it) for
 * {@code --seconds}, and prints the bytes each allocated per call (per step) in its last window. {@code
 * --no-winograd} runs the dense 3×3 convs as direct convolutions, to compare.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp depthwise-bench.jar dev.depthwise.bench.FreshJvmAllocation
 * [--jvms 12] [--parallel 2] [--model segnet_dsc] [--input 1,3,16,16] [--seconds 20] [--threads 2] [--train]
 * [--no-winograd] [--jvm-flag -XX:...]...}. Exits 1 when any JVM allocated. A training step allocates a little
 * (tens of KiB) whatever the convs, so with {@code --train} compare the figures with those of {@code --no-winograd}.
 */
@Command(name = "FreshJvmAllocation", mixinStandardHelpOptions = true,
        description = "Bytes per call of a model's plan (or training step) at steady state, in many fresh JVMs.")
public final class FreshJvmAllocation implements Callable<Integer> {
    private static final int WINDOW = 50;
    /** Training steps per window: one step is the work of thousands of planned calls. */
    private static final int TRAINING_WINDOW = 1;
    private static final String RESULT = "bytes-per-call ";

    @Option(names = "--jvms", description = "fresh JVMs to start (default: ${DEFAULT-VALUE})")
    int jvms = 12;

    @Option(names = "--parallel", description = "JVMs running at once (default: ${DEFAULT-VALUE})")
    int parallel = 2;

    @Option(names = "--model", description = "the model (default: ${DEFAULT-VALUE})")
    String model = Models.SEGNET_DSC;

    @Option(names = "--input", split = ",", paramLabel = "N,C,H,W", description = "input shape (default: 1,3,16,16)")
    int[] shape = {1, 3, 16, 16};

    @Option(names = "--seconds", description = "seconds each JVM runs (default: ${DEFAULT-VALUE})")
    int seconds = 20;

    @Option(names = "--threads", description = "compute threads in each JVM (default: ${DEFAULT-VALUE})")
    int threads = 2;

    @Option(names = "--jvm-flag", description = "a flag for every JVM started (repeatable), e.g. -XX:UseAVX=2")
    List<String> flags = new ArrayList<>();

    @Option(names = "--train", description = "time training steps instead of planned calls")
    boolean train;

    @Option(names = "--no-winograd", description = "run the dense 3x3 convs as direct convolutions, to compare")
    boolean noWinograd;

    @Option(names = "--child", hidden = true, description = "run the measurement in this JVM (what each JVM started runs)")
    boolean child;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line {@link #main} runs; a bad option is one line naming it. */
    static CommandLine commandLine() {
        return CommandErrors.withOneLineUsage(new FreshJvmAllocation(), "FreshJvmAllocation");
    }

    /** 0 when no JVM allocated at steady state, 1 otherwise. */
    @Override
    public Integer call() throws Exception {
        if (jvms < 1 || parallel < 1 || seconds < 1 || threads < 1 || shape.length != 4
                || Arrays.stream(shape).anyMatch(d -> d < 1) || !Models.NAMES.contains(model)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--jvms, --parallel, --seconds and --threads"
                    + " must be at least 1, --input four sizes of at least 1, --model one of " + Models.NAMES);
        }
        boolean winograd = !noWinograd;
        String input = Arrays.stream(shape).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(","));
        if (child) {
            Parallel.setThreads(threads);
            Runnable call = train ? trainingStep(model, shape, winograd) : plannedRun(model, shape, winograd);
            System.out.println(RESULT + runChild(call, train ? TRAINING_WINDOW : WINDOW, seconds));
            return 0;
        }
        List<String> jvm = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector"));
        jvm.addAll(flags);
        List<String> command = new ArrayList<>(jvm);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), FreshJvmAllocation.class.getName(),
                "--child", "--model", model, "--input", input, "--seconds", Integer.toString(seconds),
                "--threads", Integer.toString(threads)));
        if (train) {
            command.add("--train");
        }
        if (!winograd) {
            command.add("--no-winograd");
        }
        KernelBench.printMachine();
        System.out.println("command per JVM: " + String.join(" ", jvm) + " ... " + model + " " + input
                + (train ? ", training steps" : ", planned calls") + (winograd ? "" : ", no Winograd") + ", "
                + seconds + " s, " + threads + " threads");
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        List<Future<String>> results = new ArrayList<>();
        for (int j = 0; j < jvms; j++) {
            results.add(pool.submit(() -> runJvm(command)));
        }
        int allocating = 0;
        for (int j = 0; j < jvms; j++) {
            String bytes = results.get(j).get();
            System.out.printf(Locale.ROOT, "JVM %2d: %s%n", j + 1, bytes);
            if (!bytes.startsWith("0 ")) {
                allocating++;
            }
        }
        pool.shutdown();
        System.out.printf(Locale.ROOT, "%d of %d JVMs allocated at steady state%n", allocating, jvms);
        return allocating == 0 ? 0 : 1;
    }

    private static String runJvm(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String result = "no result";
        StringBuilder output = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                output.append(line).append('\n');
                if (line.startsWith(RESULT)) {
                    result = line.substring(RESULT.length());
                }
            }
        }
        int exit = p.waitFor();
        if (exit != 0) {
            return "failed (exit " + exit + "): " + output.toString().strip();
        }
        String history = output.toString().lines().filter(l -> l.startsWith("history")).findFirst().orElse("");
        return result + " (" + history + ")";
    }

    private static Runnable plannedRun(String model, int[] shape, boolean winograd) {
        InferenceModel plan = InferenceModel.compile(Models.create(model),
                CompileOptions.defaults().withWinograd(winograd), shape);
        Tensor x = Tensor.zeros(shape);
        Random random = new Random(1);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = (float) random.nextGaussian();
        }
        return () -> plan.runReusingOutput(x);
    }

    /** {@code bench train}'s step (forward, loss, backward, Adam) on a batch of {@code N×3×S×S} random images. */
    private static Runnable trainingStep(String model, int[] shape, boolean winograd) {
        if (shape.length != 4 || shape[1] != 3 || shape[2] != shape[3]) {
            throw new IllegalArgumentException("FreshJvmAllocation: --train needs --input N,3,S,S, got "
                    + Arrays.toString(shape));
        }
        Module module = Models.create(model);
        Conv2d.setWinograd(module, winograd ? WinogradPolicy.COST_MODEL : WinogradPolicy.NEVER);
        return new TrainBench.Step(module, shape[0], shape[2])::run;
    }

    /**
     * Makes {@code call} in windows of {@code window} calls for {@code seconds}; returns the last window's bytes per
     * call (0: nothing), and prints them every 5 s: a JVM still compiling allocates less and less, one whose kernel
     * C2 left boxing does not.
     */
    private static long runChild(Runnable call, int window, int seconds) {
        long start = System.nanoTime(), end = start + seconds * 1_000_000_000L, last = 0;
        long nextReport = start;
        StringBuilder history = new StringBuilder();
        while (System.nanoTime() < end) {
            last = Math.max(0, Parallel.allocatedBytes(call, window)) / window;
            if (System.nanoTime() >= nextReport) {
                history.append(history.length() == 0 ? "" : ", ").append((System.nanoTime() - start) / 1_000_000_000L)
                        .append(" s: ").append(last);
                nextReport += 5_000_000_000L;
            }
        }
        System.out.println("history (bytes per call): " + history);
        return last;
    }
}
