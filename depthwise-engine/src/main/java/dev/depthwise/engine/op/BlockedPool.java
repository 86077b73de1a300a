package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SegNet's 2×2 stride-2 max pool and its unpool in the {@link ChannelBlocks channel-blocked layout}, prepared once
 * like {@link PreparedOps}. The pool records, per output element, which of its window's four inputs won (0 to 3,
 * row-major, the first of equal values, the last NaN as in PyTorch and {@link PoolOp}), as a float in a blocked array of the pooled
 * shape: the same choice as {@link PoolOp#maxPool}'s flat indices, in a form the unpool can compare lane by lane.
 * Odd trailing rows and columns belong to no window (floor mode) and unpool to zero.
 */
public final class BlockedPool {
    private static final VectorSpecies<Float> S = ChannelBlocks.S;
    private static final int B = ChannelBlocks.SIZE;

    // The window positions as lanes; constants, so that no run has to make them.
    private static final FloatVector ZERO = FloatVector.zero(S);
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final FloatVector TWO = FloatVector.broadcast(S, 2f);
    private static final FloatVector THREE = FloatVector.broadcast(S, 3f);

    private BlockedPool() {
    }

    /** The blocked pooled shape of a blocked input {@code [N, CB, H, W, B]}. */
    public static int[] pooledShape(int[] blocked) {
        return new int[] {blocked[0], blocked[1], blocked[2] / 2, blocked[3] / 2, B};
    }

    /** Max pool 2×2 stride 2 of blocked {@code x} into {@code out}, the winners into {@code which} (out's size). */
    public static Runnable maxPool(Tensor x, Tensor out, float[] which) {
        check("BlockedPool.maxPool", x, out, which);
        int planes = x.dim(0) * x.dim(1), inH = x.dim(2), inW = x.dim(3), outH = inH / 2, outW = inW / 2;
        return new PreparedLoop(planes * outH, ChannelBlocks.grain(2 * outW)) {
            @Override
            public void run(int from, int to) {
                float[] src = x.data(), dst = out.data();
                FloatVector one = ONE, two = TWO, three = THREE, zero = ZERO;
                for (int row = from; row < to; row++) {
                    int plane = row / outH, oy = row % outH;
                    int top = (plane * inH + 2 * oy) * inW * B, bottom = top + inW * B;
                    int o = row * outW * B;
                    for (int ox = 0; ox < outW; ox++, o += B) {
                        FloatVector m = FloatVector.fromArray(S, src, top + 2 * ox * B);
                        FloatVector v = FloatVector.fromArray(S, src, top + (2 * ox + 1) * B);
                        VectorMask<Float> wins = v.compare(VectorOperators.GT, m).or(v.compare(VectorOperators.NE, v));
                        m = m.blend(v, wins);
                        FloatVector w = zero.blend(one, wins);
                        v = FloatVector.fromArray(S, src, bottom + 2 * ox * B);
                        wins = v.compare(VectorOperators.GT, m).or(v.compare(VectorOperators.NE, v));
                        m = m.blend(v, wins);
                        w = w.blend(two, wins);
                        v = FloatVector.fromArray(S, src, bottom + (2 * ox + 1) * B);
                        wins = v.compare(VectorOperators.GT, m).or(v.compare(VectorOperators.NE, v));
                        m.blend(v, wins).intoArray(dst, o);
                        w.blend(three, wins).intoArray(which, o);
                    }
                }
            }
        };
    }

    /** The unpool of {@link #maxPool}: blocked {@code x} (pooled) into blocked {@code out} of the pre-pool shape. */
    public static Runnable maxUnpool(Tensor x, float[] which, Tensor out) {
        check("BlockedPool.maxUnpool", out, x, which);
        int planes = out.dim(0) * out.dim(1), outH = out.dim(2), outW = out.dim(3), inH = outH / 2, inW = outW / 2;
        return new PreparedLoop(planes * outH, ChannelBlocks.grain(outW)) {
            @Override
            public void run(int from, int to) {
                float[] src = x.data(), dst = out.data();
                FloatVector zero = ZERO;
                for (int row = from; row < to; row++) {
                    int plane = row / outH, y = row % outH;
                    int o = row * outW * B;
                    if (y >= 2 * inH) {
                        java.util.Arrays.fill(dst, o, o + outW * B, 0f); // the odd last row: no window
                        continue;
                    }
                    FloatVector left = FloatVector.broadcast(S, 2f * (y % 2)), right = left.add(1f);
                    int i = ((plane * inH + y / 2) * inW) * B;
                    for (int px = 0; px < inW; px++, i += B, o += 2 * B) {
                        FloatVector v = FloatVector.fromArray(S, src, i);
                        FloatVector w = FloatVector.fromArray(S, which, i);
                        zero.blend(v, w.compare(VectorOperators.EQ, left)).intoArray(dst, o);
                        zero.blend(v, w.compare(VectorOperators.EQ, right)).intoArray(dst, o + B);
                    }
                    if (outW % 2 == 1) {
                        java.util.Arrays.fill(dst, o, o + B, 0f); // the odd last column
                    }
                }
            }
        };
    }

    private static void check(String op, Tensor big, Tensor pooled, float[] which) {
        if (big == null || pooled == null || big.rank() != 5 || big.dim(4) != B || big.dim(2) < 2 || big.dim(3) < 2
                || !pooled.hasShape(pooledShape(big.shape())) || which == null || which.length != pooled.size()) {
            throw new IllegalArgumentException(op + ": blocked input " + (big == null ? "null" : big.shapeString())
                    + ", pooled " + (pooled == null ? "null" : pooled.shapeString()) + " and "
                    + (which == null ? "no" : which.length) + " winners do not fit a 2x2 stride-2 pool");
        }
    }
}
