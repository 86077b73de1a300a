package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Gives every value of a {@link Graph} a tensor, once per input shape, reusing arrays between values whose
 * lifetimes do not overlap: a value's array returns to the free list after the last node that reads it, and
 * the next value of the same element count takes it. A node's output never shares with its own inputs, so
 * every kernel may assume its output does not alias its input.
 *
 * <p>Sharing is by exact element count because tensors own exact-size arrays; MobileNetV2 and SegNet repeat
 * the same activation sizes stage after stage, so this already keeps only a few buffers per size alive.
 */
final class BufferPlan {
    private final Tensor[] tensors;
    private final long bytes;

    private BufferPlan(Tensor[] tensors, long bytes) {
        this.tensors = tensors;
        this.bytes = bytes;
    }

    /** The input and the output get arrays of their own; everything in between comes from the shared pool. */
    static BufferPlan plan(Graph graph, Graph.Value output) {
        List<Graph.Value> values = graph.values();
        int[] lastUse = new int[values.size()];
        java.util.Arrays.fill(lastUse, -1);
        for (int i = 0; i < graph.nodes.size(); i++) {
            for (Graph.Value v : graph.nodes.get(i).inputs()) {
                lastUse[v.storage.id] = i;
            }
        }
        float[][] arrays = new float[values.size()][];
        Map<Integer, List<float[]>> free = new HashMap<>();
        long bytes = 0;
        arrays[graph.input.id] = new float[graph.input.size()];
        bytes += 4L * graph.input.size();
        for (int i = 0; i < graph.nodes.size(); i++) {
            Graph.Value out = graph.nodes.get(i).output();
            float[] a = null;
            if (out != output.storage) {
                List<float[]> same = free.get(out.size());
                a = same == null || same.isEmpty() ? null : same.remove(same.size() - 1);
            }
            if (a == null) {
                a = new float[out.size()];
                bytes += 4L * a.length;
            }
            arrays[out.id] = a;
            // Release after this node's output is placed, so an output never lands on one of its inputs.
            for (Graph.Value v : graph.nodes.get(i).inputs()) {
                release(v.storage, i, lastUse, graph, output, arrays, free);
            }
            if (lastUse[out.id] < 0) {
                release(out, -1, lastUse, graph, output, arrays, free); // computed but never read
            }
        }
        Tensor[] tensors = new Tensor[values.size()];
        for (Graph.Value v : values) {
            if (arrays[v.storage.id] != null) { // null: a value whose node was fused away
                tensors[v.id] = new Tensor(arrays[v.storage.id], v.shape);
            }
        }
        return new BufferPlan(tensors, bytes);
    }

    private static void release(Graph.Value storage, int node, int[] lastUse, Graph graph, Graph.Value output,
                                float[][] arrays, Map<Integer, List<float[]>> free) {
        if (lastUse[storage.id] != node || storage == graph.input || storage == output.storage) {
            return;
        }
        List<float[]> same = free.computeIfAbsent(storage.size(), k -> new ArrayList<>());
        if (!same.contains(arrays[storage.id])) {
            same.add(arrays[storage.id]);
        }
    }

    Tensor tensor(Graph.Value v) {
        return tensors[v.id];
    }

    /** Bytes of all activation arrays of the plan, input and output included: its peak activation memory. */
    long bytes() {
        return bytes;
    }
}
