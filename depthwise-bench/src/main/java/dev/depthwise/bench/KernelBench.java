package dev.depthwise.bench;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.Activation;
import dev.depthwise.engine.op.BlockedConv;
import dev.depthwise.engine.op.BlockedWinogradConv;
import dev.depthwise.engine.op.ChannelBlocks;
import dev.depthwise.engine.op.ConvOp;
import dev.depthwise.engine.op.ConvSpec;
import dev.depthwise.engine.op.Gemm;
import dev.depthwise.engine.op.RegisterTiles;
import dev.depthwise.engine.op.WinogradConv;
import dev.depthwise.train.CommandErrors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * GFLOP/s of the engine's heavy kernels at MobileNetV2 / SegNet shapes, at 1 and 2 threads: pointwise,
 * depthwise and dense 3×3 convs (forward, backward = input + weight + bias gradients, and planned inference's
 * channel-blocked forward where it has one) and square GEMMs.
 * Each figure is the median of several timed runs after a warm-up; the best run is shown too, since on a shared
 * machine the median also measures the neighbours. A benchmark, not a test.
 *
 * <p>With {@code --jvms N} the same benchmark runs in N fresh JVMs, one after another, each printing its own figures,
 * and then the least, median and greatest of each kernel's medians over the JVMs: C2 compiles a kernel afresh in
 * each JVM, and a register tile it spills in some JVMs runs at half speed there (docs/jvm-notes.md), which one JVM
 * cannot show.
 *
 * <p>Usage: {@code KernelBench [--threads 1,2] [--runs 7] [--only NAME-REGEX] [--jvms N]}, or {@code bench kernels}.
 */
@Command(name = "KernelBench", mixinStandardHelpOptions = true,
        description = "GFLOP/s of the engine's heavy kernels at MobileNetV2 and SegNet shapes.")
public final class KernelBench implements Callable<Integer> {
    private static final double WARMUP_SECONDS = 0.4;

    @Option(names = "--threads", split = ",", description = "thread counts, each timed in turn (default: 1,2)")
    int[] threads = {1, 2};

    @Option(names = "--runs", description = "timed runs per kernel after the warm-up (default: ${DEFAULT-VALUE})")
    int runs = 7;

    @Option(names = "--only", paramLabel = "NAME-REGEX", description = "only the kernels whose name this regular"
            + " expression finds")
    String only;

    @Option(names = "--jvms", paramLabel = "N", description = "run the benchmark in N fresh JVMs, one after another,"
            + " and give each kernel's least, median and greatest GFLOP/s over them (default: this JVM only)")
    int jvms;

    @Spec
    CommandSpec spec;

    /** One benchmark: a name, the floating-point operations of one call, and the call. */
    private record Case(String name, double flops, Runnable call) {
    }

    /** A Winograd case and what the cost model predicted for it, as a fraction of the blocked direct conv's time. */
    private record Prediction(String winograd, String blocked, double relativeCost) {
    }

    private static final List<Prediction> PREDICTIONS = new ArrayList<>();

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line {@link #main} runs; a bad option is one line naming it. */
    static CommandLine commandLine() {
        return CommandErrors.withOneLineUsage(new KernelBench(), "KernelBench");
    }

    @Override
    public Integer call() {
        if (threads.length == 0 || Arrays.stream(threads).anyMatch(t -> t < 1) || runs < 1 || jvms < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must all be at least 1, --runs"
                    + " at least 1, --jvms at least 0; got --threads " + Arrays.toString(threads) + ", --runs " + runs
                    + ", --jvms " + jvms);
        }
        try {
            java.util.regex.Pattern.compile(only == null ? "" : only);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--only '" + only + "' is not a regular"
                    + " expression: " + e.getDescription());
        }
        if (jvms > 0) {
            List<String> childArgs = new ArrayList<>(List.of("--threads",
                    String.join(",", Arrays.stream(threads).mapToObj(Integer::toString).toList()),
                    "--runs", Integer.toString(runs)));
            if (only != null) {
                childArgs.addAll(List.of("--only", only));
            }
            FreshJvms.run(KernelBench.class, childArgs, jvms);
        } else {
            run(threads, runs, only);
        }
        return 0;
    }

    /** Times every kernel (whose name {@code only} finds, when not null) at each thread count. */
    static void run(int[] threads, int runs, String only) {
        java.util.function.Predicate<String> selected = only == null ? name -> true
                : java.util.regex.Pattern.compile(only).asPredicate();
        printMachine();
        System.out.printf(Locale.ROOT, "%-40s %8s %10s %10s %10s%n", "kernel", "threads", "median ms", "GFLOP/s",
                "best GF/s");
        for (int t : threads) {
            // Prepared under the thread count they run with, as a plan compiled for it: the blocked convs split
            // their work by it.
            Parallel.setThreads(t);
            PREDICTIONS.clear();
            List<Case> cases = cases();
            // A warm-up pass over every case first, so no figure is taken while the JIT is still compiling.
            for (Case c : cases) {
                if (selected.test(c.name)) {
                    times(c.call, 1);
                }
            }
            java.util.Map<String, Double> medians = new java.util.HashMap<>();
            for (Case c : cases) {
                if (!selected.test(c.name)) {
                    continue;
                }
                double[] times = times(c.call, runs);
                double median = times[runs / 2];
                medians.put(c.name, median);
                System.out.printf(Locale.ROOT, "%-40s %8d %10.3f %10.1f %10.1f%n", c.name, t, median * 1e3,
                        c.flops / median / 1e9, c.flops / times[0] / 1e9);
            }
            for (Prediction p : PREDICTIONS) {
                if (medians.containsKey(p.winograd) && medians.containsKey(p.blocked)) {
                    System.out.printf(Locale.ROOT, "  cost model: %s at %.2f of the blocked direct conv's time, measured"
                            + " %.2f (%d threads)%n", p.winograd, p.relativeCost,
                            medians.get(p.winograd) / medians.get(p.blocked), t);
                }
            }
        }
    }

    /** The machine, JDK, time, load and command line, so that every figure can be reproduced and judged. */
    static void printMachine() {
        String command = ProcessHandle.current().info().commandLine().orElse("(unknown)");
        String load;
        try {
            load = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException | RuntimeException e) {
            load = "unknown";
        }
        System.out.printf(Locale.ROOT, "machine: %s %s, %d cores; JDK %s (%s); %s%n", System.getProperty("os.name"),
                System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), System.getProperty("java.vm.name"),
                java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        System.out.println("load average at start (1, 5, 15 min ...): " + load);
        System.out.println("register tiles: " + RegisterTiles.inUse());
        System.out.println("command: " + command);
    }

    /** Seconds of {@code runs} timed calls after a warm-up, sorted (so [0] is the best, [runs/2] the median). */
    private static double[] times(Runnable call, int runs) {
        long warmupEnd = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
        do {
            call.run();
        } while (System.nanoTime() < warmupEnd);
        double[] times = new double[runs];
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            call.run();
            times[r] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(times);
        return times;
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        Random random = new Random(42);
        conv(cases, random, "pointwise 56x56x24->144", ConvSpec.of(24, 144, 1, 1, 0, 1), 56);
        conv(cases, random, "pointwise 14x14x96->576", ConvSpec.of(96, 576, 1, 1, 0, 1), 14);
        conv(cases, random, "pointwise 7x7x320->1280", ConvSpec.of(320, 1280, 1, 1, 0, 1), 7);
        // MobileNetV2's project convs: few output channels (here the channels tile's pairs are few)
        conv(cases, random, "pointwise 28x28x192->32", ConvSpec.of(192, 32, 1, 1, 0, 1), 28);
        conv(cases, random, "pointwise 14x14x384->64", ConvSpec.of(384, 64, 1, 1, 0, 1), 14);
        conv(cases, random, "pointwise 7x7x960->160", ConvSpec.of(960, 160, 1, 1, 0, 1), 7);
        conv(cases, random, "pointwise 112x112x32->16", ConvSpec.of(32, 16, 1, 1, 0, 1), 112);
        // three output blocks with AVX2's 8 lanes: a pair and a lone block
        conv(cases, random, "pointwise 56x56x144->24", ConvSpec.of(144, 24, 1, 1, 0, 1), 56);
        conv(cases, random, "depthwise 112x112x96 s2", ConvSpec.of(96, 96, 3, 2, 1, 96), 112);
        conv(cases, random, "depthwise 56x56x144 s1", ConvSpec.of(144, 144, 3, 1, 1, 144), 56);
        conv(cases, random, "depthwise 14x14x576 s2", ConvSpec.of(576, 576, 3, 2, 1, 576), 14);
        conv(cases, random, "dense 3x3 128x128x64->64", ConvSpec.of(64, 64, 3, 1, 1, 1), 128);
        conv(cases, random, "dense 3x3 64x64x128->128", ConvSpec.of(128, 128, 3, 1, 1, 1), 64);
        conv(cases, random, "dense 3x3 32x32x256->256", ConvSpec.of(256, 256, 3, 1, 1, 1), 32);
        conv(cases, random, "dense 3x3 16x16x512->512", ConvSpec.of(512, 512, 3, 1, 1, 1), 16);
        conv(cases, random, "dense 3x3 8x8x512->512", ConvSpec.of(512, 512, 3, 1, 1, 1), 8);
        // the SegNets' heads: three classes, one lone output block
        conv(cases, random, "dense 3x3 128x128x64->3", ConvSpec.of(64, 3, 3, 1, 1, 1), 128);
        conv(cases, random, "pointwise 128x128x64->3", ConvSpec.of(64, 3, 1, 1, 0, 1), 128);
        gemm(cases, random, 512);
        gemm(cases, random, 2048);
        return cases;
    }

    private static void conv(List<Case> cases, Random random, String name, ConvSpec s, int size) {
        int[] xShape = {1, s.inChannels(), size, size};
        int[] outShape = s.outputShape(xShape);
        Tensor x = randomTensor(random, xShape);
        Tensor w = randomTensor(random, s.weightShape());
        Tensor b = randomTensor(random, s.outChannels());
        Tensor out = Tensor.zeros(outShape);
        Tensor gradOut = randomTensor(random, outShape);
        Tensor gradX = Tensor.zeros(xShape);
        Tensor gradW = Tensor.zeros(s.weightShape());
        Tensor gradB = Tensor.zeros(s.outChannels());
        double flops = 2.0 * outShape[1] * outShape[2] * outShape[3] * s.inPerGroup() * s.kernelH() * s.kernelW();
        cases.add(new Case(name + " fwd", flops, () -> ConvOp.forward(s, x, w, b, out)));
        cases.add(new Case(name + " bwd", 2 * flops, () -> ConvOp.backward(s, x, w, gradOut, gradX, gradW, gradB)));
        if (BlockedConv.supports(s, true)) {
            // Planned inference's kernel for the same conv, in the channel-blocked layout (bias and ReLU6 included).
            Tensor xBlocked = Tensor.zeros(ChannelBlocks.shape(xShape));
            ChannelBlocks.toBlocked(x, xBlocked).run();
            Tensor outBlocked = Tensor.zeros(ChannelBlocks.shape(outShape));
            BlockedConv blocked = BlockedConv.prepare(s, xBlocked, w, b, null, outBlocked, Activation.RELU6);
            cases.add(new Case(name + " blocked", flops, blocked::run));
            if (WinogradConv.supports(s)) {
                // Winograd's figures count the direct convolution's FLOPs, so they compare with the rows above as
                // speed; the cost model's prediction is printed beside the measured ratio.
                for (WinogradConv.Tile tile : WinogradConv.Tile.values()) {
                    String label = name + " winograd " + tile;
                    BlockedWinogradConv winograd = BlockedWinogradConv.prepare(s, tile, xBlocked, w, b, outBlocked,
                            Activation.RELU6);
                    cases.add(new Case(label, flops, winograd::run));
                    PREDICTIONS.add(new Prediction(label, name + " blocked",
                            BlockedWinogradConv.relativeCost(s, tile, 1, size, size)));
                }
            }
        }
    }

    private static void gemm(List<Case> cases, Random random, int n) {
        float[] a = randomTensor(random, n, n).data();
        float[] bm = randomTensor(random, n, n).data();
        float[] c = new float[n * n];
        cases.add(new Case("gemm " + n + "^3", 2.0 * n * n * n,
                () -> Gemm.matmul(false, false, n, n, n, a, 0, bm, 0, c, 0, false)));
    }

    private static Tensor randomTensor(Random random, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) random.nextGaussian();
        }
        return t;
    }
}
