package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.Activation;
import dev.depthwise.engine.op.ConvSpec;
import dev.depthwise.engine.op.PoolOp;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Linear;
import dev.depthwise.nn.Lowering;
import dev.depthwise.nn.MaxPool2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.Upsample;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@link Lowering} modules describe themselves to: one plain node per call, in NCHW terms, each checked against
 * its input's shape so that a model that does not fit fails naming the layer. Knows no model; the passes do the
 * rest.
 */
final class GraphBuilder implements Lowering {
    final Graph graph;
    private final Deque<String> paths = new ArrayDeque<>();
    private final Deque<Module> modules = new ArrayDeque<>();
    private final Map<MaxPool2d, PoolRecord> pools = new IdentityHashMap<>();

    /** A lowered pool: where its winners go and its input shape, which its unpool restores. */
    private record PoolRecord(Op.PoolWinners winners, int[] inputShape, int[] outputShape) {
    }

    GraphBuilder(int[] inputShape) {
        this.graph = new Graph(inputShape);
    }

    /** Lowers {@code model} on the graph's input; its result becomes the graph's output. */
    Graph lowerModel(Module model) {
        graph.output = value(within("", model, () -> model.lower(this, graph.input)));
        return graph;
    }

    @Override
    public Value within(String name, Module child, Supplier<Value> body) {
        String parent = paths.isEmpty() ? "" : paths.peek();
        paths.push(parent.isEmpty() ? name : name.isEmpty() ? parent : parent + "." + name);
        modules.push(child);
        try {
            return body.get();
        } finally {
            paths.pop();
            modules.pop();
        }
    }

    private String path() {
        return paths.isEmpty() || paths.peek().isEmpty() ? "(model)" : paths.peek();
    }

    @Override
    public IllegalArgumentException cannotLower(Module module) {
        String type = module.typeName().isEmpty() ? module.getClass().getName() : module.typeName();
        return new NoLoweringException(path() + ": " + type + " cannot be lowered (it has no "
                + "Module.lower; it can still run through Module.forward)");
    }

    @Override
    public IllegalArgumentException error(String message) {
        return new IllegalArgumentException("cannot compile " + path() + " (" + modules.peek().typeName() + "): "
                + message);
    }

    private static Graph.Value value(Value v) {
        return (Graph.Value) v;
    }

    private Value node(Op op, int[] shape, Value... inputs) {
        Graph.Value[] ins = new Graph.Value[inputs.length];
        for (int i = 0; i < ins.length; i++) {
            ins[i] = value(inputs[i]);
        }
        return graph.add(paths.isEmpty() ? "" : paths.peek(), op, shape, ins);
    }

    private void requireRank(Value x, int rank) {
        if (x.shape().length != rank) {
            throw error("expected a rank-" + rank + " input, got " + Tensor.shapeString(x.shape()));
        }
    }

    @Override
    public Value conv(Conv2d conv, Value x) {
        ConvSpec spec = conv.spec();
        int[] out;
        try {
            out = spec.outputShape(x.shape());
        } catch (IllegalArgumentException e) {
            throw error("input " + Tensor.shapeString(x.shape()) + ": " + e.getMessage());
        }
        Tensor bias = conv.bias() == null ? null : conv.bias().value().copy();
        return node(new Op.Conv(spec, conv.weight().value().copy(), bias, false, Activation.NONE, false), out, x);
    }

    @Override
    public Value batchNorm(BatchNorm2d norm, Value x) {
        requireRank(x, 4);
        if (x.shape()[1] != norm.channels()) {
            throw error("it has " + norm.channels() + " channels but its input has " + x.shape()[1]);
        }
        return node(new Op.BatchNorm(norm, Activation.NONE), x.shape(), x);
    }

    @Override
    public Value relu(Value x) {
        return node(new Op.Act(Activation.RELU), x.shape(), x);
    }

    @Override
    public Value relu6(Value x) {
        return node(new Op.Act(Activation.RELU6), x.shape(), x);
    }

    @Override
    public Value maxPool(MaxPool2d pool, Value x) {
        int[] out;
        try {
            out = PoolOp.maxPoolOutputShape(x.shape(), pool.kernel(), pool.stride());
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
        Op.PoolWinners winners = new Op.PoolWinners();
        pools.put(pool, new PoolRecord(winners, x.shape(), out));
        return node(new Op.MaxPool(pool.kernel(), pool.stride(), winners), out, x);
    }

    @Override
    public Value maxUnpool(MaxPool2d pool, Value x) {
        PoolRecord rec = pools.get(pool);
        if (rec == null) {
            throw error("its MaxPool2d has not run before it in this model");
        }
        if (!Arrays.equals(rec.outputShape(), x.shape())) {
            throw error("input " + Tensor.shapeString(x.shape()) + " does not match its pool's output "
                    + Tensor.shapeString(rec.outputShape()));
        }
        return node(new Op.MaxUnpool(rec.winners()), rec.inputShape(), x);
    }

    @Override
    public Value upsample(Upsample.Mode mode, int scale, Value x) {
        requireRank(x, 4);
        int[] s = x.shape();
        return node(new Op.Upsampling(mode), new int[] {s[0], s[1], s[2] * scale, s[3] * scale}, x);
    }

    @Override
    public Value globalAvgPool(Value x) {
        requireRank(x, 4);
        int[] s = x.shape();
        return node(new Op.GlobalAvgPool(), new int[] {s[0], s[1], 1, 1}, x);
    }

    @Override
    public Value linear(Linear linear, Value x) {
        int[] w = linear.weight().value().shape();
        int[] s = x.shape();
        if (s.length != 2 || s[1] != w[1]) {
            throw error("expected input [N, " + w[1] + "], got " + Tensor.shapeString(s));
        }
        Tensor bias = linear.bias() == null ? null : linear.bias().value().copy();
        return node(new Op.Linear(linear.weight().value().copy(), bias), new int[] {s[0], w[0]}, x);
    }

    @Override
    public Value reshape(Value x, int... shape) {
        Graph.Value v = value(x);
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        if (size != v.size()) {
            throw error("cannot view " + Tensor.shapeString(v.shape) + " as " + Tensor.shapeString(shape));
        }
        return node(new Op.Reshape(), shape, x);
    }

    @Override
    public Value add(Value a, Value b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw error("cannot add " + Tensor.shapeString(a.shape()) + " and " + Tensor.shapeString(b.shape()));
        }
        return node(new Op.Add(), a.shape(), a, b);
    }

    @Override
    public Value concat(Value... values) {
        int[] first = values[0].shape();
        int channels = 0;
        for (Value v : values) {
            int[] s = v.shape();
            if (s.length != 4 || s[0] != first[0] || s[2] != first[2] || s[3] != first[3]) {
                throw error("cannot concatenate " + Tensor.shapeString(s) + " with " + Tensor.shapeString(first)
                        + " along channels");
            }
            channels += s[1];
        }
        return node(new Op.Concat(), new int[] {first[0], channels, first[2], first[3]}, values);
    }
}
