package dev.depthwise.bench;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.io.onnx.OnnxExporter;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.inference.CompileOptions;
import dev.depthwise.nn.inference.InferenceModel;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.onnxruntime.OrtSession;

/**
 * {@code bench models --per-layer}: where a forward pass spends its time, step by step, ours beside ONNX Runtime's,
 * at 1 thread and at {@code --threads}. Each step of our compiled plan is timed on its own
 * ({@link InferenceModel#runTimingSteps}); ONNX Runtime's profiler times each node of its optimised graph
 * ({@link OrtTrace}). Both take turns in blocks as in {@link Measurement}, and each figure is a median over the timed
 * runs.
 *
 * <p>Our exporter names each ONNX node after the module it comes from, and ONNX Runtime names a node it fused after
 * one of the nodes it joined (a conv, BatchNorm and ReLU6 become one {@code Conv} named after the ReLU6, suffixed
 * {@code _nchwc} in its blocked layout). So a node belongs to the step that does the work of the module it is named
 * after ({@link InferenceModel.StepInfo#modules}): a fused depthwise + pointwise step of ours gets both of ONNX
 * Runtime's convs; a node named after the exporter's output Identity, which ONNX Runtime removes, belongs to the
 * step that computes the model's output. A node named after no module of a step (its layout reorders, a flatten)
 * gets a row of its own, after the step the node before it belongs to.
 */
final class LayerBench {
    private final int threads;
    private final int warmup;
    private final int runs;
    private final String only;
    private final CompileOptions options;
    private final PrintStream out;

    LayerBench(int threads, int warmup, int runs, String only, CompileOptions options, PrintStream out) {
        this.threads = threads;
        this.warmup = warmup;
        this.runs = runs;
        this.only = only;
        this.options = options;
        this.out = out;
    }

    /** One row of the table: a step of ours with the nodes of ONNX Runtime's that do its work, or a node alone. */
    record Row(String label, String op, String shape, int step, List<String> ortNodes, String ortOps) {
    }

    /** One thread count's medians: each step's (nanoseconds), each ORT node's (microseconds), and the totals. */
    record Side(long[] stepNanos, long totalNanos, OrtTrace ort) {
    }

    void run() throws Exception {
        List<Integer> counts = threads == 1 ? List.of(1) : List.of(1, threads);
        out.printf("per layer: each step of our plan (%s) timed on its own, beside ONNX Runtime's profiler's node times"
                + " (its optimised graph, nodes matched to our steps by the modules they are named after); medians of %d"
                + " runs in microseconds, after at least %d warm-up runs and 2 s; the engines take turns in blocks%n",
                options, runs, warmup);
        Path traces = Files.createTempDirectory("depthwise-ort-profile");
        try {
            for (ModelBench.Case c : ModelBench.CASES) {
                if (only != null && !only.equals(c.model())) {
                    continue;
                }
                Module model = ModelBench.calibratedModel(c.model(), c.size());
                byte[] onnx = ModelBench.export(model, c.model(), c.size());
                for (int batch : c.batches()) {
                    Tensor input = BenchTensors.randomInput(batch, 3, c.size(), c.size());
                    List<Side> sides = new ArrayList<>();
                    List<InferenceModel.StepInfo> steps = null;
                    for (int t : counts) {
                        // A plan with a thread count is compiled, and runs, with that many (InferenceModel.compile).
                        InferenceModel plan = InferenceModel.compile(model, options.withThreads(t), input.shape());
                        steps = plan.steps();
                        sides.add(measure(plan, onnx, input, t, traces));
                    }
                    Parallel.setThreads(threads);
                    out.println();
                    out.printf("%s 3x%dx%d batch %d%n", c.model(), c.size(), c.size(), batch);
                    print(steps, sides, counts);
                }
            }
        } finally {
            try (var files = Files.list(traces)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(traces);
        }
    }

    private Side measure(InferenceModel plan, byte[] onnx, Tensor input, int threadCount, Path traces)
            throws Exception {
        int stepCount = plan.steps().size();
        long[][] ours = new long[runs][stepCount];
        long[] untimed = new long[stepCount];
        List<Boolean> ortTimed = new ArrayList<>();
        try (OrtRunner ort = new OrtRunner(onnx, threadCount, OrtSession.SessionOptions.OptLevel.ALL_OPT,
                traces.resolve("ort-" + threadCount + "t"))) {
            Measurement.Work oursUntimed = () -> plan.runTimingSteps(input, untimed);
            Measurement.Work ortUntimed = () -> {
                ort.infer(input);
                ortTimed.add(false);
            };
            Measurement.warmUp(oursUntimed, warmup);
            Measurement.warmUp(ortUntimed, warmup);
            int blocks = Math.min(runs, Measurement.BLOCKS);
            for (int block = 0, done = 0; block < blocks; block++) {
                int count = (runs - done) / (blocks - block);
                Measurement.settle(oursUntimed);
                for (int i = done; i < done + count; i++) {
                    plan.runTimingSteps(input, ours[i]);
                }
                Measurement.settle(ortUntimed);
                for (int i = 0; i < count; i++) {
                    ort.infer(input);
                    ortTimed.add(true);
                }
                done += count;
            }
            Path trace = ort.endProfiling();
            OrtTrace profile = OrtTrace.read(trace, ortTimed);
            Files.deleteIfExists(trace);
            long[] stepMedians = new long[stepCount];
            long[] column = new long[runs];
            for (int s = 0; s < stepCount; s++) {
                for (int r = 0; r < runs; r++) {
                    column[r] = ours[r][s];
                }
                stepMedians[s] = Measurement.median(column);
            }
            long[] totals = new long[runs];
            for (int r = 0; r < runs; r++) {
                for (long nanos : ours[r]) {
                    totals[r] += nanos;
                }
            }
            return new Side(stepMedians, Measurement.median(totals), profile);
        }
    }

    /**
     * The table's rows: every step, each with the ORT nodes named after one of its modules (the longest such module
     * path wins, so a node of {@code features.2.conv.0} does not go to a step of {@code features.2.conv}), and each
     * node that belongs to no step as a row of its own after the step its predecessor belongs to.
     */
    static List<Row> match(List<InferenceModel.StepInfo> steps, List<OrtTrace.Node> nodes) {
        List<List<OrtTrace.Node>> ofStep = new ArrayList<>();
        List<List<OrtTrace.Node>> loneAfter = new ArrayList<>(); // index s + 1: after step s; 0: before every step
        for (int s = 0; s <= steps.size(); s++) {
            ofStep.add(new ArrayList<>());
            loneAfter.add(new ArrayList<>());
        }
        int lastWorking = -1; // the last step that does a module's work: it computes the model's output
        for (int s = 0; s < steps.size(); s++) {
            lastWorking = steps.get(s).modules().isEmpty() ? lastWorking : s;
        }
        int previous = -1;
        for (OrtTrace.Node node : nodes) {
            int step = namedAfter(node.name(), OnnxExporter.OUTPUT) ? lastWorking : stepOf(steps, node.name());
            if (step < 0) {
                loneAfter.get(previous + 1).add(node);
            } else {
                ofStep.get(step).add(node);
                previous = step;
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int s = 0; s <= steps.size(); s++) {
            for (OrtTrace.Node lone : loneAfter.get(s)) {
                rows.add(new Row("(ORT) " + lone.name(), "-", "", -1, List.of(lone.name()), lone.op()));
            }
            if (s < steps.size()) {
                InferenceModel.StepInfo info = steps.get(s);
                List<String> names = ofStep.get(s).stream().map(OrtTrace.Node::name).toList();
                String ops = String.join("+", ofStep.get(s).stream().map(OrtTrace.Node::op).toList());
                rows.add(new Row(info.path(), info.op(), info.outputShape(), s, names, ops.isEmpty() ? "-" : ops));
            }
        }
        return rows;
    }

    /** The step with a module that {@code ortName} is named after (the longest match), or -1. */
    static int stepOf(List<InferenceModel.StepInfo> steps, String ortName) {
        int best = -1, bestLength = -1;
        for (int s = 0; s < steps.size(); s++) {
            for (String module : steps.get(s).modules()) {
                if (!module.isEmpty() && module.length() > bestLength && namedAfter(ortName, module)) {
                    best = s;
                    bestLength = module.length();
                }
            }
        }
        return best;
    }

    /** {@code features.3.conv.3_nchwc} and {@code up.x_shape} are named after {@code features.3.conv.3} and {@code up}. */
    private static boolean namedAfter(String ortName, String module) {
        if (!ortName.startsWith(module)) {
            return false;
        }
        if (ortName.length() == module.length()) {
            return true;
        }
        char next = ortName.charAt(module.length());
        return next == '_' || next == '.';
    }

    private static final String ROW = "%-24s %-64s %-20s";
    private static final int ROW_WIDTH = 24 + 1 + 64 + 1 + 20;

    private void print(List<InferenceModel.StepInfo> steps, List<Side> sides, List<Integer> counts) {
        List<Row> rows = match(steps, sides.get(0).ort().nodes());
        StringBuilder header = new StringBuilder(String.format(ROW, "step", "ours", "output"));
        for (int t : counts) {
            header.append(String.format(" | %2d thr: ours      ORT  ratio", t));
        }
        out.println(header.append(" | ORT's nodes (us at each thread count)"));
        // per kind: ours and ORT at each count; ours -1 for a kind of ORT's alone
        Map<String, long[]> byKind = new LinkedHashMap<>();
        long[] sumOurs = new long[counts.size()], sumOrt = new long[counts.size()];
        for (Row row : rows) {
            StringBuilder line = new StringBuilder(String.format(ROW, row.label(), row.op(), row.shape()));
            String kind = row.step() >= 0 ? row.op() : "(ORT's alone) " + row.ortOps();
            long[] group = byKind.computeIfAbsent(kind, k -> new long[2 * counts.size()]);
            for (int i = 0; i < counts.size(); i++) {
                Side side = sides.get(i);
                long ours = row.step() >= 0 ? side.stepNanos()[row.step()] : -1;
                long ort = ortMicros(side.ort(), row.ortNodes());
                line.append(String.format(" | %10s %8s %6s", micros(ours), ort < 0 ? "-" : Long.toString(ort),
                        ratio(ours, ort)));
                sumOurs[i] += Math.max(0, ours);
                sumOrt[i] += Math.max(0, ort);
                group[2 * i] = ours < 0 ? -1 : group[2 * i] + ours;
                group[2 * i + 1] += Math.max(0, ort);
            }
            out.println(line.append(" | ").append(nodeTimes(row.ortNodes(), sides)));
        }
        String totals = "%-" + ROW_WIDTH + "s";
        StringBuilder sum = new StringBuilder(String.format(totals, "sum of the rows"));
        StringBuilder whole = new StringBuilder(String.format(totals,
                "one run: the sum of our steps; ORT's model_run"));
        for (int i = 0; i < counts.size(); i++) {
            sum.append(String.format(" | %10s %8d %6s", micros(sumOurs[i]), sumOrt[i], ratio(sumOurs[i], sumOrt[i])));
            long run = sides.get(i).ort().runMicros();
            whole.append(String.format(" | %10s %8d %6s", micros(sides.get(i).totalNanos()), run,
                    ratio(sides.get(i).totalNanos(), run)));
        }
        out.println(sum);
        out.println(whole);
        out.println("by kind of step (ORT's nodes counted with the steps they belong to):");
        byKind.forEach((kind, group) -> {
            StringBuilder line = new StringBuilder(String.format("  %-" + (ROW_WIDTH - 2) + "s", kind));
            for (int i = 0; i < counts.size(); i++) {
                line.append(String.format(" | %10s %8d %6s", micros(group[2 * i]), group[2 * i + 1],
                        ratio(group[2 * i], group[2 * i + 1])));
            }
            out.println(line);
        });
    }

    /** {@code Conv 214/120 + Conv 166/90}: each node's op and its median at each thread count. */
    private static String nodeTimes(List<String> names, List<Side> sides) {
        List<String> parts = new ArrayList<>();
        for (String name : names) {
            StringBuilder part = new StringBuilder();
            for (int i = 0; i < sides.size(); i++) {
                OrtTrace.Node node = sides.get(i).ort().nodes().stream().filter(n -> n.name().equals(name))
                        .findFirst().orElse(null);
                if (i == 0) {
                    part.append(node == null ? name : node.op()).append(' ');
                } else {
                    part.append('/');
                }
                part.append(node == null ? "-" : Long.toString(node.medianMicros()));
            }
            parts.add(part.toString());
        }
        return parts.isEmpty() ? "-" : String.join(" + ", parts);
    }

    /** The sum of these nodes' medians, or -1 when there are none. */
    private static long ortMicros(OrtTrace ort, List<String> names) {
        long sum = -1;
        for (OrtTrace.Node node : ort.nodes()) {
            if (names.contains(node.name())) {
                sum = Math.max(0, sum) + node.medianMicros();
            }
        }
        return sum;
    }

    private static String micros(long nanos) {
        return nanos < 0 ? "-" : String.format("%.1f", nanos / 1e3);
    }

    private static String ratio(long oursNanos, long ortMicros) {
        return oursNanos < 0 || ortMicros <= 0 ? "-" : String.format("%.2f", oursNanos / 1e3 / ortMicros);
    }
}
