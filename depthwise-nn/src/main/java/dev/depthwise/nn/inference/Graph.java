package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The compiled model before buffers exist: values (activations with a shape) and nodes (one step each, in
 * execution order), each node reading values made earlier. Buffers are given to values afterwards by
 * {@link BufferPlan}, and only then does each node become an executable {@link Step}.
 */
final class Graph {
    /** An activation. A view (flatten, eval dropout) shares its storage value's buffer under another shape. */
    static final class Value {
        final int id;
        final int[] shape;
        final Value storage;

        Value(int id, int[] shape, Value viewOf) {
            this.id = id;
            this.shape = shape.clone();
            this.storage = viewOf == null ? this : viewOf.storage;
        }

        int size() {
            int s = 1;
            for (int d : shape) {
                s *= d;
            }
            return s;
        }

        @Override
        public String toString() {
            return "%" + id + Arrays.toString(shape);
        }
    }

    /** Makes a node's step once its values have tensors. */
    @FunctionalInterface
    interface StepFactory {
        Step bind(Tensor[] inputs, Tensor output);
    }

    /** One step of the plan: {@code path} is the module it comes from, {@code what} says what it computes. */
    record Node(String path, String what, Value[] inputs, Value output, StepFactory factory) {
    }

    final Value input;
    /** The model's result, set by the compiler. */
    Value output;
    final List<Node> nodes = new ArrayList<>();
    private final List<Value> values = new ArrayList<>();

    Graph(int[] inputShape) {
        this.input = newValue(inputShape, null);
    }

    private Value newValue(int[] shape, Value viewOf) {
        Value v = new Value(values.size(), shape, viewOf);
        values.add(v);
        return v;
    }

    /** Appends a node computing a new value of {@code shape} from {@code inputs}. */
    Value add(String path, String what, int[] shape, StepFactory factory, Value... inputs) {
        Value out = newValue(shape, null);
        nodes.add(new Node(path, what, inputs.clone(), out, factory));
        return out;
    }

    /** The same data under another shape of the same size; no step. */
    Value view(Value v, int[] shape, String path) {
        Value view = newValue(shape, v);
        if (view.size() != v.size()) {
            throw new IllegalStateException(path + ": view " + Arrays.toString(shape) + " of " + v);
        }
        return view;
    }

    List<Value> values() {
        return values;
    }
}
