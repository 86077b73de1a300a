package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model summary like torchinfo's {@code summary(model, input_size)}: one row per module with its output
 * shape, parameters and multiply-adds, then totals and a memory estimate for one input.
 *
 * <p>Shapes come from one real forward pass in evaluation mode on a zero input (batch 1), observed with
 * forward hooks, so no model needs hand-written shape formulas. Multiply-adds are each layer's
 * {@link Module#macs}: weight elements × output positions for convs, in × out for linear layers;
 * BatchNorm, activations, biases and pooling count 0. That rule gives MobileNetV2 at 224×224
 * 300,774,272 = 300.8M (torchinfo, which also counts BatchNorm and biases, shows 300.81M; torchvision's
 * docs say 0.30 GFLOPS) and the article's primer exactly (16→32, 3×3, 128×128: 75,497,472 regular,
 * 10,747,904 depthwise-separable).
 */
public final class Summary {
    /** One module of the tree; {@code outputShape} is null for a module the forward did not run. */
    public record Row(String path, String type, int depth, String index, int[] outputShape, long params,
                      long macs, boolean leaf) {
    }

    private static final int BYTES_PER_FLOAT = 4;

    private final String modelName;
    private final int[] inputShape;
    private final List<Row> rows;
    private final long totalParams;
    private final long trainableParams;
    private final long totalMacs;
    private final long forwardBackwardBytes;

    private Summary(String modelName, int[] inputShape, List<Row> rows, long totalParams, long trainableParams,
                    long totalMacs, long forwardBackwardBytes) {
        this.modelName = modelName;
        this.inputShape = inputShape;
        this.rows = rows;
        this.totalParams = totalParams;
        this.trainableParams = trainableParams;
        this.totalMacs = totalMacs;
        this.forwardBackwardBytes = forwardBackwardBytes;
    }

    /**
     * Summarises {@code model} for one input of shape {@code chw} (channels, height, width; batch 1 is
     * added). The model's mode is restored afterwards; BatchNorm statistics are not touched (eval mode).
     */
    public static Summary of(Module model, int... chw) {
        if (chw.length != 3) {
            throw new IllegalArgumentException("summary: input must be C,H,W, got " + Arrays.toString(chw));
        }
        int[] inputShape = {1, chw[0], chw[1], chw[2]};
        Map<Module, int[][]> seen = new IdentityHashMap<>();
        Map<String, Module> modules = model.namedModules();
        boolean wasTraining = model.isTraining();
        try {
            for (Module m : modules.values()) {
                m.setForwardHook((mod, in, out) -> seen.put(mod, new int[][] {in.shape(), out.shape()}));
            }
            model.eval();
            model.forward(Tensor.zeros(inputShape));
        } finally {
            for (Module m : modules.values()) {
                m.setForwardHook(null);
            }
            model.train(wasTraining);
        }

        List<Row> rows = new ArrayList<>();
        Map<Integer, Integer> countersByDepth = new java.util.HashMap<>();
        long macs = 0;
        long fwdBwd = 0;
        for (var e : modules.entrySet()) {
            Module m = e.getValue();
            String path = e.getKey();
            int depth = path.isEmpty() ? 0 : path.split("\\.").length;
            int idx = countersByDepth.merge(depth, 1, Integer::sum);
            int[][] shapes = seen.get(m);
            long own = 0;
            for (Parameter p : m.ownParameters().values()) {
                own += p.size();
            }
            long layerMacs = shapes != null && m.isLeaf() ? m.macs(shapes[0], shapes[1]) : 0;
            macs += layerMacs;
            if (shapes != null && m.isLeaf() && own > 0) {
                // torchinfo's "forward/backward pass size": outputs of layers with parameters, x2 for gradients.
                fwdBwd += 2L * BYTES_PER_FLOAT * elements(shapes[1]);
            }
            rows.add(new Row(path, m.typeName(), depth, depth + "-" + idx, shapes == null ? null : shapes[1],
                    own, layerMacs, m.isLeaf()));
        }
        return new Summary(model.typeName(), inputShape, List.copyOf(rows), model.parameterCount(),
                model.trainableParameterCount(), macs, fwdBwd);
    }

    private static long elements(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    public List<Row> rows() {
        return rows;
    }

    public long totalParams() {
        return totalParams;
    }

    public long trainableParams() {
        return trainableParams;
    }

    /** Multiply-adds of one forward pass for one input. */
    public long totalMacs() {
        return totalMacs;
    }

    /** The model's output shape for one input. */
    public int[] outputShape() {
        return rows.get(0).outputShape();
    }

    public long inputBytes() {
        return elements(inputShape) * BYTES_PER_FLOAT;
    }

    public long forwardBackwardBytes() {
        return forwardBackwardBytes;
    }

    public long paramBytes() {
        return totalParams * BYTES_PER_FLOAT;
    }

    /** The torchinfo-style table. */
    @Override
    public String toString() {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"Layer (type:depth-idx)", "Output Shape", "Param #", "Mult-Adds"});
        for (Row r : rows) {
            String label = r.depth() == 0 ? r.type()
                    : treePrefix(r.depth()) + r.type() + ": " + r.index();
            cells.add(new String[] {
                    label,
                    r.outputShape() == null ? "--" : Tensor.shapeString(r.outputShape()),
                    r.leaf() && r.params() > 0 ? group(r.params()) : "--",
                    r.leaf() && r.macs() > 0 ? group(r.macs()) : "--"});
        }
        int[] widths = new int[4];
        for (String[] c : cells) {
            for (int i = 0; i < 4; i++) {
                widths[i] = Math.max(widths[i], c[i].length() + 2);
            }
        }
        int total = Arrays.stream(widths).sum();
        String rule = "=".repeat(total);
        StringBuilder sb = new StringBuilder(rule).append('\n');
        for (int i = 0; i < cells.size(); i++) {
            String[] c = cells.get(i);
            sb.append(pad(c[0], widths[0])).append(pad(c[1], widths[1])).append(pad(c[2], widths[2]))
                    .append(c[3]).append('\n');
            if (i == 0) {
                sb.append(rule).append('\n');
            }
        }
        sb.append(rule).append('\n');
        sb.append("Total params: ").append(group(totalParams)).append('\n');
        sb.append("Trainable params: ").append(group(trainableParams)).append('\n');
        sb.append("Non-trainable params: ").append(group(totalParams - trainableParams)).append('\n');
        sb.append("Total mult-adds: ").append(group(totalMacs)).append(" (")
                .append(String.format(Locale.ROOT, "%.1fM", totalMacs / 1e6)).append(")\n");
        sb.append(rule).append('\n');
        sb.append("Input size: ").append(Tensor.shapeString(inputShape)).append('\n');
        sb.append(mb("Input size (MB)", inputBytes()));
        sb.append(mb("Forward/backward pass size (MB)", forwardBackwardBytes));
        sb.append(mb("Params size (MB)", paramBytes()));
        sb.append(mb("Estimated Total Size (MB)", inputBytes() + forwardBackwardBytes + paramBytes()));
        sb.append(rule).append('\n');
        return sb.toString();
    }

    private static String treePrefix(int depth) {
        return depth == 1 ? "├─" : "│    ".repeat(depth - 1) + "└─";
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }

    private static String group(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String mb(String label, long bytes) {
        return String.format(Locale.ROOT, "%s: %.2f%n", label, bytes / 1e6);
    }
}
