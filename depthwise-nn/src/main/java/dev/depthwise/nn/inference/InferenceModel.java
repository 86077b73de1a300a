package dev.depthwise.nn.inference;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Module;

import java.util.Arrays;
import java.util.List;

/**
 * A model compiled for fast inference at one input shape: the eval-mode forward pass as a flat list of
 * steps, with BatchNorm folded into the preceding convs, ReLU/ReLU6 fused into them, and every activation
 * buffer planned once and reused, so that {@link #runReusingOutput} allocates nothing at steady state. Any model
 * whose modules lower ({@link Module#lower}) compiles. Between input and output (both NCHW), activations are
 * channel-blocked ({@link dev.depthwise.engine.op.ChannelBlocks}) wherever a blocked kernel pays, which is why
 * some steps print 5-D shapes; {@link CompileOptions} changes that.
 *
 * <pre>{@code
 * InferenceModel fast = InferenceModel.compile(model, 1, 3, 224, 224);
 * Tensor logits = fast.runReusingOutput(image);   // the plan's own tensor: valid until the next run
 * Tensor kept = fast.run(image);                  // a new tensor of the caller's
 * }</pre>
 *
 * <p>The plan copies (and folds) the weights when compiled: later changes to the model do not reach it; compile
 * again after training or loading weights. The model's own tensors are never modified. Not thread-safe: one
 * plan per calling thread (they may share the model).
 */
public final class InferenceModel {
    private final int[] inputShape;
    private final int[] outputShape;
    private final Tensor input;
    private final Tensor output;
    private final Step[] steps;
    private final StepInfo[] stepInfos;
    private final long activationBytes;
    private final int threads;

    private InferenceModel(Graph graph, BufferPlan buffers, int threads) {
        this.threads = threads;
        this.inputShape = graph.input.shape.clone();
        this.outputShape = graph.output.shape.clone();
        this.input = buffers.tensor(graph.input);
        this.output = buffers.tensor(graph.output);
        this.steps = new Step[graph.nodes.size()];
        this.stepInfos = new StepInfo[steps.length];
        for (int i = 0; i < steps.length; i++) {
            Graph.Node node = graph.nodes.get(i);
            Tensor[] ins = new Tensor[node.inputs().length];
            for (int j = 0; j < ins.length; j++) {
                ins[j] = buffers.tensor(node.inputs()[j]);
            }
            steps[i] = node.op().bind(ins, buffers.tensor(node.output()));
            stepInfos[i] = new StepInfo(node.path().isEmpty() ? "(model)" : node.path(), node.op().describe(),
                    Tensor.shapeString(node.output().storedShape()), node.modules());
        }
        this.activationBytes = buffers.bytes();
    }

    /** {@link #compile(Module, CompileOptions, int...)} with {@link CompileOptions#defaults()}. */
    public static InferenceModel compile(Module model, int... inputShape) {
        return compile(model, CompileOptions.defaults(), inputShape);
    }

    /**
     * Compiles {@code model} (as in eval mode, whatever its current mode) for inputs of exactly
     * {@code inputShape}, such as {@code 1, 3, 224, 224}.
     *
     * @throws IllegalArgumentException naming the layer's path and type when a layer cannot be lowered or does
     *                                  not fit the shape
     */
    public static InferenceModel compile(Module model, CompileOptions options, int... inputShape) {
        if (model == null || options == null || inputShape == null || inputShape.length == 0) {
            throw new IllegalArgumentException("InferenceModel.compile: a model and an input shape are required");
        }
        for (int d : inputShape) {
            if (d < 1) {
                throw new IllegalArgumentException("InferenceModel.compile: bad input shape "
                        + Arrays.toString(inputShape));
            }
        }
        TrapLimitAdvice.sayOnce();
        if (options.threads() > 0) {
            // The kernels size their work split for the thread count they are built under; build them under the
            // count the plan will run with (see load), not whatever the process had before.
            Parallel.setThreads(options.threads());
        }
        Graph graph = InferenceCompiler.compile(model, inputShape, options);
        return new InferenceModel(graph, BufferPlan.plan(graph, graph.output), options.threads());
    }

    /**
     * Runs the forward pass into the plan's own output tensor and returns it: no allocation, but the tensor is
     * valid only until the next run of this plan, which overwrites it. Copy it, or use {@link #run(Tensor)} or
     * {@link #run(Tensor, Tensor)}, to keep a result.
     */
    public Tensor runReusingOutput(Tensor x) {
        load(x);
        for (Step s : steps) {
            s.run();
        }
        return output;
    }

    /** Checks {@code x}, copies it into the planned input buffer and sets the plan's thread count. */
    private void load(Tensor x) {
        if (x == null || !x.hasShape(inputShape)) {
            throw new IllegalArgumentException("InferenceModel: compiled for input " + Tensor.shapeString(inputShape)
                    + ", got " + (x == null ? "null" : x.shapeString()));
        }
        // A copy into the planned input buffer lets every step be bound once, whatever tensor the caller passes.
        input.copyFrom(x);
        if (threads > 0 && Parallel.threads() != threads) {
            Parallel.setThreads(threads);
        }
    }

    /** Runs the forward pass and returns the result in a new tensor, the caller's to keep. */
    public Tensor run(Tensor x) {
        return runReusingOutput(x).copy();
    }

    /** Runs the forward pass and copies the result into {@code out}, which must have {@link #outputShape()}. */
    public Tensor run(Tensor x, Tensor out) {
        if (out == null || !out.hasShape(outputShape)) {
            throw new IllegalArgumentException("InferenceModel: output must be " + Tensor.shapeString(outputShape)
                    + ", got " + (out == null ? "null" : out.shapeString()));
        }
        out.copyFrom(runReusingOutput(x));
        return out;
    }

    /**
     * What one step of the plan computes: the module path it came from (the common path of modules fused into it),
     * the op, its output's stored shape (5-D when channel-blocked), and the paths of all the modules whose work it
     * does (none for a layout change).
     */
    public record StepInfo(String path, String op, String outputShape, List<String> modules) {
        public StepInfo {
            modules = List.copyOf(modules);
        }

        @Override
        public String toString() {
            return String.format("%-28s %-40s %s", path, op, outputShape);
        }
    }

    /** The plan's steps in the order they run. */
    public List<StepInfo> steps() {
        return List.of(stepInfos);
    }

    /**
     * {@link #runReusingOutput} with each step timed: step {@code i}'s wall time in nanoseconds goes to
     * {@code stepNanos[i]}. For profiles; {@link #runReusingOutput} itself reads no clock.
     */
    public Tensor runTimingSteps(Tensor x, long[] stepNanos) {
        if (stepNanos == null || stepNanos.length != steps.length) {
            throw new IllegalArgumentException("InferenceModel.runTimingSteps: one time per step (" + steps.length
                    + ") is needed, got " + (stepNanos == null ? "null" : stepNanos.length));
        }
        load(x);
        for (int i = 0; i < steps.length; i++) {
            long t0 = System.nanoTime();
            steps[i].run();
            stepNanos[i] = System.nanoTime() - t0;
        }
        return output;
    }

    /**
     * Times each step over {@code runs} runs of {@code x} (after one untimed run) and returns the plan with each
     * step's median time in microseconds and its share of the total: where a forward pass spends its time.
     */
    public String profile(Tensor x, int runs) {
        if (runs < 1) {
            throw new IllegalArgumentException("InferenceModel.profile: runs must be positive, got " + runs);
        }
        runReusingOutput(x);
        long[][] nanos = new long[steps.length][runs];
        long[] once = new long[steps.length];
        for (int r = 0; r < runs; r++) {
            runTimingSteps(x, once);
            for (int i = 0; i < steps.length; i++) {
                nanos[i][r] = once[i];
            }
        }
        long[] median = new long[steps.length];
        long total = 0;
        for (int i = 0; i < steps.length; i++) {
            Arrays.sort(nanos[i]);
            median[i] = nanos[i][runs / 2];
            total += median[i];
        }
        StringBuilder sb = new StringBuilder(String.format("%d steps, sum of step medians %.2f ms%n", steps.length,
                total / 1e6));
        for (int i = 0; i < steps.length; i++) {
            sb.append(String.format("  %8.1f us %5.1f%%  %s%n", median[i] / 1e3, 100.0 * median[i] / Math.max(1, total),
                    stepInfos[i]));
        }
        return sb.toString();
    }

    public int[] inputShape() {
        return inputShape.clone();
    }

    public int[] outputShape() {
        return outputShape.clone();
    }

    /** Number of steps in the plan (after fusion). */
    public int stepCount() {
        return steps.length;
    }

    /**
     * Bytes of the planned activation buffers (input and output included): the plan's peak activation memory,
     * allocated once at compile time. Weights and pool indices are not counted.
     */
    public long activationBytes() {
        return activationBytes;
    }

    /** The plan, one line per step: module path, what the step computes, output shape. */
    @Override
    public String toString() {
        return "InferenceModel " + Tensor.shapeString(inputShape) + " -> " + Tensor.shapeString(outputShape) + ", "
                + steps.length + " steps, " + activationBytes / 1024 + " KiB of activations\n  "
                + String.join("\n  ", Arrays.stream(stepInfos).map(StepInfo::toString).toList());
    }
}
