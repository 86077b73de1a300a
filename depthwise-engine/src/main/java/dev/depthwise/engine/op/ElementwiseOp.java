package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import static dev.depthwise.engine.op.OpChecks.fail;
import static dev.depthwise.engine.op.OpChecks.planeSize;
import static dev.depthwise.engine.op.OpChecks.present;
import static dev.depthwise.engine.op.OpChecks.rankAtLeast;
import static dev.depthwise.engine.op.OpChecks.sameShape;

/**
 * Elementwise add (residual connections; its backward is the identity, so callers pass gradOut on)
 * and channel concatenation with its backward, the split. Shapes must match exactly: no broadcasting.
 */
public final class ElementwiseOp {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int GRAIN = 1 << 15;

    private ElementwiseOp() {
    }

    /** out = a + b; out may be a or b. */
    public static void add(Tensor a, Tensor b, Tensor out) {
        String op = "ElementwiseOp.add";
        present(op, "a", a);
        sameShape(op, "a", a, "b", b);
        sameShape(op, "a", a, "out", out);
        float[] as = a.data();
        float[] bs = b.data();
        float[] os = out.data();
        Parallel.forRange(as.length, GRAIN, (from, to) -> addRange(as, bs, os, from, to));
    }

    /** Elements {@code [from, to)} of {@link #add} on the calling thread. */
    static void addRange(float[] as, float[] bs, float[] os, int from, int to) {
        int bound = from + S.loopBound(to - from);
        int i = from;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, as, i).add(FloatVector.fromArray(S, bs, i)).intoArray(os, i);
        }
        for (; i < to; i++) {
            os[i] = as[i] + bs[i];
        }
    }

    /** Concatenates NCHW (or NC) tensors along the channel axis into out, in order. */
    public static void concatChannels(Tensor[] inputs, Tensor out) {
        String op = "ElementwiseOp.concatChannels";
        copyChannels(inputs, out, checkChannelParts(op, "inputs", inputs, "out", out), true);
    }

    /**
     * Backward of {@link #concatChannels}: copies each channel slice of gradOut into the matching
     * gradInputs entry (overwritten). Every entry is required: its shape says how many channels it takes.
     */
    public static void splitChannels(Tensor gradOut, Tensor[] gradInputs) {
        String op = "ElementwiseOp.splitChannels";
        copyChannels(gradInputs, gradOut, checkChannelParts(op, "gradInputs", gradInputs, "gradOut", gradOut), false);
    }

    /**
     * The copies of concat ({@code intoWhole}: parts into whole) and of split (whole into parts), shapes already
     * checked; {@code plane} is the elements per channel.
     */
    static void copyChannels(Tensor[] parts, Tensor whole, int plane, boolean intoWhole) {
        float[] ws = whole.data();
        int wholeChannels = whole.c();
        for (int n = 0; n < whole.n(); n++) {
            int channelOffset = 0;
            for (Tensor t : parts) {
                int block = t.c() * plane;
                int at = (n * wholeChannels + channelOffset) * plane;
                if (intoWhole) {
                    System.arraycopy(t.data(), n * block, ws, at, block);
                } else {
                    System.arraycopy(ws, at, t.data(), n * block, block);
                }
                channelOffset += t.c();
            }
        }
    }

    /** Validates parts against the whole; returns the size of one channel plane. */
    static int checkChannelParts(String op, String partsName, Tensor[] parts, String wholeName, Tensor whole) {
        rankAtLeast(op, wholeName, whole, 2);
        if (parts == null || parts.length == 0) {
            throw fail(op, partsName + " must hold at least one tensor");
        }
        int channels = 0;
        StringBuilder shapes = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            Tensor t = parts[i];
            if (t == null) {
                throw fail(op, partsName + "[" + i + "] is null");
            }
            shapes.append(i == 0 ? "" : ", ").append(t.shapeString());
            int[] expected = whole.shape();
            expected[1] = t.rank() >= 2 ? t.c() : -1;
            if (!t.hasShape(expected)) {
                throw fail(op, partsName + "[" + i + "] has shape " + t.shapeString() + " but must match " + wholeName
                        + " " + whole.shapeString() + " in every axis but channels");
            }
            channels += t.c();
        }
        if (channels != whole.c()) {
            throw fail(op, partsName + " " + shapes + " have " + channels + " channels in total but " + wholeName
                    + " " + whole.shapeString() + " has " + whole.c());
        }
        return planeSize(whole);
    }
}
