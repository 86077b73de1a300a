package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The arrays a model's layers share for tensors that die within one training pass: input gradients (each dead once
 * the layer before has run its backward on it) and activations recomputed for backward. A layer borrows an array
 * when the tensor is born and its container gives the array back when the tensor's one reader is done, so a step
 * holds as many arrays of a size as are alive at once, not one per layer: planned by lifetime, as the inference
 * compiler's {@code BufferPlan} plans activations, but discovered while the pass runs rather than from a graph,
 * since training calls {@code forward}/{@code backward} module by module.
 *
 * <p>Arrays are matched by exact size (first free one, in the order they were made), so a steady loop of equal
 * steps borrows the same arrays in the same order every step and allocates nothing after the first; a tensor's
 * {@link Tensor#data()} is never longer than the tensor. Whatever is still borrowed when the outermost backward of
 * the next step starts (a model's returned input gradient, which its caller read) is taken back then.
 */
final class TransientBuffers {
    /** Tensors kept per array for the shapes it was lent as, so a steady loop makes no new Tensor objects. */
    private static final int VIEWS_PER_ARRAY = 4;

    private static final class Slot {
        final float[] data;
        final Tensor[] views = new Tensor[VIEWS_PER_ARRAY];
        int nextView;
        boolean lent;
        boolean lentThisPass;

        Slot(int size) {
            this.data = new float[size];
        }

        Tensor view(int[] shape) {
            for (Tensor v : views) {
                if (v != null && v.hasShape(shape)) {
                    return v;
                }
            }
            Tensor v = new Tensor(data, shape);
            views[nextView] = v;
            nextView = (nextView + 1) % VIEWS_PER_ARRAY;
            return v;
        }
    }

    private final List<Slot> slots = new ArrayList<>();
    private int backwardDepth;
    /** The gradient a container is handing to a child's backward as that gradient's last reader, or null. */
    private float[] handedOver;

    /** A tensor of {@code shape} on a free array of exactly its size (a new one when none is free); not zeroed. */
    Tensor lend(int[] shape) {
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        for (Slot s : slots) {
            if (!s.lent && s.data.length == size) {
                return lendSlot(s, shape);
            }
        }
        Slot s = new Slot(Math.toIntExact(size));
        slots.add(s);
        return lendSlot(s, shape);
    }

    private static Tensor lendSlot(Slot s, int[] shape) {
        s.lent = true;
        s.lentThisPass = true;
        return s.view(shape);
    }

    /** Frees the array if this pool lent it; an array of someone else's is left alone. */
    void giveBack(float[] data) {
        for (Slot s : slots) {
            if (s.data == data) {
                s.lent = false;
                return;
            }
        }
    }

    /**
     * Called as every backward starts. The outermost one takes back whatever the previous pass left borrowed,
     * except the array of its own {@code gradOut}, which the caller may have got from this pool, and forgets the
     * arrays nothing borrowed since the previous pass began: sizes of another shape, such as an epoch's last,
     * smaller batch, are not kept for the rest of the run.
     */
    void enterBackward(Tensor gradOut) {
        if (backwardDepth++ == 0) {
            slots.removeIf(s -> !s.lentThisPass && !s.lent);
            for (Slot s : slots) {
                s.lent = s.lent && s.data == gradOut.data();
                s.lentThisPass = s.lent;
            }
        }
    }

    void exitBackward() {
        backwardDepth--;
    }

    /** Marks {@code gradient} as read by nothing after the backward about to start (null: no mark). */
    void handOver(float[] gradient) {
        handedOver = gradient;
    }

    /** Whether {@code gradOut} was handed over to the backward now starting; clears the mark for nested calls. */
    boolean takeHandedOver(Tensor gradOut) {
        boolean mine = handedOver == gradOut.data();
        handedOver = null;
        return mine;
    }

    /** The length of every array this pool has made, in the order it made them. */
    int[] arrayLengths() {
        return slots.stream().mapToInt(s -> s.data.length).toArray();
    }

    /** Bytes of all arrays this pool has made. */
    long bytes() {
        long bytes = 0;
        for (Slot s : slots) {
            bytes += 4L * s.data.length;
        }
        return bytes;
    }
}
