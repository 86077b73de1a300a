package dev.depthwise.nn.inference;

import dev.depthwise.engine.op.ChannelBlocks;
import dev.depthwise.nn.Lowering;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compiler's graph: values (activations) and nodes (one {@link Op} each, in execution order, each reading values
 * made earlier). Modules build it through {@link GraphBuilder}; the passes rewrite its node list; {@link BufferPlan}
 * gives its values arrays, and each node then becomes a {@link Step}.
 */
final class Graph {
    /** An activation. Its shape is logical (NCHW); {@link #blocked} says how it is stored, set by the layout pass. */
    static final class Value implements Lowering.Value {
        final int id;
        final int[] shape;
        boolean blocked;
        /** The value whose buffer this one uses: itself, or for a reshape the value it views. */
        Value storage = this;

        Value(int id, int[] shape) {
            this.id = id;
            this.shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        /** The shape of its buffer: {@link ChannelBlocks#shape} of {@link #shape} when blocked. */
        int[] storedShape() {
            return blocked ? ChannelBlocks.shape(shape) : shape;
        }

        int size() {
            int s = 1;
            for (int d : storedShape()) {
                s *= d;
            }
            return s;
        }

        @Override
        public String toString() {
            return "%" + id + Arrays.toString(shape) + (blocked ? "b" : "");
        }
    }

    /**
     * One step: {@code path} is the module it comes from (for a fused node, the path the fused modules share), and
     * {@code modules} the paths of every module whose work it does (empty for a layout change), for profiles.
     */
    record Node(String path, Op op, Value[] inputs, Value output, List<String> modules) {
        Node {
            inputs = inputs.clone();
            modules = List.copyOf(modules);
        }

        /** A node that does the work of module {@code path} alone. */
        Node(String path, Op op, Value[] inputs, Value output) {
            this(path, op, inputs, output, List.of(path));
        }

        Node withOp(Op newOp) {
            return new Node(path, newOp, inputs, output, modules);
        }

        Node withInputs(Value[] newInputs) {
            return new Node(path, op, newInputs, output, modules);
        }

        Value input() {
            return inputs[0];
        }
    }

    final Value input;
    /** The model's result, set once lowering ends. */
    Value output;
    final List<Node> nodes = new ArrayList<>();
    private final List<Value> values = new ArrayList<>();

    Graph(int[] inputShape) {
        this.input = newValue(inputShape);
    }

    Value newValue(int[] shape) {
        Value v = new Value(values.size(), shape);
        values.add(v);
        return v;
    }

    /** Appends a node computing a new value of {@code shape} from {@code inputs}. */
    Value add(String path, Op op, int[] shape, Value... inputs) {
        Value out = newValue(shape);
        nodes.add(new Node(path, op, inputs, out));
        return out;
    }

    List<Value> values() {
        return values;
    }

    /** How many nodes read each value (the graph's output counts as read once more). */
    Map<Value, Integer> readers() {
        Map<Value, Integer> readers = new IdentityHashMap<>();
        for (Node node : nodes) {
            for (Value v : node.inputs()) {
                readers.merge(v, 1, Integer::sum);
            }
        }
        readers.merge(output, 1, Integer::sum);
        return readers;
    }

    /** The node that computes each value. */
    Map<Value, Node> producers() {
        Map<Value, Node> producers = new IdentityHashMap<>();
        for (Node node : nodes) {
            producers.put(node.output(), node);
        }
        return producers;
    }
}
