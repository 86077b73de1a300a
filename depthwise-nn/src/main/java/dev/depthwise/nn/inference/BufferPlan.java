package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Gives every value of a {@link Graph} a tensor, once per input shape, reusing arrays between values whose
 * lifetimes do not overlap: a value's array returns to the free list after the last node that reads it, and the
 * next value takes the smallest free array that holds it (or, when none does, the largest, which grows). A node's
 * output never shares with its own inputs, so every kernel may assume its output does not alias its input.
 *
 * <p>Arrays are lent across sizes ({@link Tensor#view}) to keep the plan small: MobileNetV2's activations at
 * 224×224, batch 1, take 9.0 MB this way and took 19.2 MB in arrays of exact sizes (no change in speed was measured).
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
        Arrays.fill(lastUse, -1);
        for (int i = 0; i < graph.nodes.size(); i++) {
            for (Graph.Value v : graph.nodes.get(i).inputs()) {
                lastUse[v.storage.id] = i;
            }
        }
        // Slots first (value -> slot, slot -> largest size it must hold), arrays once every size is known.
        int[] slotOf = new int[values.size()];
        Arrays.fill(slotOf, -1);
        List<Integer> capacity = new ArrayList<>();
        List<Integer> free = new ArrayList<>();
        slotOf[graph.input.id] = newSlot(capacity, graph.input.size());
        for (int i = 0; i < graph.nodes.size(); i++) {
            Graph.Value out = graph.nodes.get(i).output();
            slotOf[out.id] = out == output.storage ? newSlot(capacity, out.size()) : take(free, capacity, out.size());
            // Release after this node's output is placed, so an output never lands on one of its inputs.
            for (Graph.Value v : graph.nodes.get(i).inputs()) {
                release(v.storage, i, lastUse, graph, output, slotOf, free);
            }
            if (lastUse[out.id] < 0) {
                release(out, -1, lastUse, graph, output, slotOf, free); // computed but never read
            }
        }
        float[][] arrays = new float[capacity.size()][];
        long bytes = 0;
        for (int slot = 0; slot < arrays.length; slot++) {
            arrays[slot] = new float[capacity.get(slot)];
            bytes += 4L * arrays[slot].length;
        }
        Tensor[] tensors = new Tensor[values.size()];
        for (Graph.Value v : values) {
            int slot = slotOf[v.storage.id];
            if (slot >= 0) { // -1: a value whose node was fused away
                tensors[v.id] = Tensor.view(arrays[slot], v.storedShape());
            }
        }
        return new BufferPlan(tensors, bytes);
    }

    private static int newSlot(List<Integer> capacity, int size) {
        capacity.add(size);
        return capacity.size() - 1;
    }

    /** The smallest free slot that holds {@code size}; else the largest free one, grown; else a new one. */
    private static int take(List<Integer> free, List<Integer> capacity, int size) {
        int best = -1;
        for (int i = 0; i < free.size(); i++) {
            int c = capacity.get(free.get(i));
            int b = best < 0 ? 0 : capacity.get(free.get(best));
            boolean fits = c >= size, bestFits = best >= 0 && b >= size;
            if (best < 0 || fits && (!bestFits || c < b) || !fits && !bestFits && c > b) {
                best = i;
            }
        }
        if (best < 0) {
            return newSlot(capacity, size);
        }
        int slot = free.remove(best);
        capacity.set(slot, Math.max(capacity.get(slot), size));
        return slot;
    }

    private static void release(Graph.Value storage, int node, int[] lastUse, Graph graph, Graph.Value output,
                                int[] slotOf, List<Integer> free) {
        if (lastUse[storage.id] != node || storage == graph.input || storage == output.storage) {
            return;
        }
        if (!free.contains(slotOf[storage.id])) {
            free.add(slotOf[storage.id]);
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
