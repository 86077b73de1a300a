package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The channel-blocked activation layout of planned inference, {@code [N, ceil(C / B), H, W, B]} with
 * {@code B} = the vector length (16 floats with AVX-512, 8 with AVX2): each pixel's channels of one block are
 * one vector. In this layout a depthwise conv is full-width vector work at any plane size and stride (in NCHW a
 * 7×7 plane fills a fraction of a vector, and stride 2 needs lane shuffles), and a pointwise conv is a small
 * matrix kernel over pixels and channel blocks; it is what ONNX Runtime's NCHWc kernels do. Channels past
 * {@code C} in the last block are kept at zero by every kernel, so they never leak into a later sum.
 *
 * <p>Only planned inference uses it; training and the public ops stay NCHW. The methods here return prepared
 * loops, bound once to their tensors, that allocate nothing when run.
 */
public final class ChannelBlocks {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Channels per block: one vector. */
    public static final int SIZE = S.length();

    private ChannelBlocks() {
    }

    /** Blocks for {@code channels} channels. */
    public static int blocks(int channels) {
        return (channels + SIZE - 1) / SIZE;
    }

    /** The blocked shape of an NCHW shape. */
    public static int[] shape(int[] nchw) {
        if (nchw.length != 4) {
            throw new IllegalArgumentException("ChannelBlocks: expected an NCHW shape, got " + Tensor.shapeString(nchw));
        }
        return new int[] {nchw[0], blocks(nchw[1]), nchw[2], nchw[3], SIZE};
    }

    /** Whether {@code blocked} is the blocked form of an NCHW tensor of shape {@code nchw}. */
    static boolean fits(Tensor blocked, int[] nchw) {
        return blocked != null && blocked.hasShape(shape(nchw));
    }

    static void require(String op, String name, Tensor blocked, int[] nchw) {
        if (!fits(blocked, nchw)) {
            throw new IllegalArgumentException(op + ": " + name + " " + (blocked == null ? "null" : blocked.shapeString())
                    + " should be " + Tensor.shapeString(shape(nchw)) + ", the blocked form of "
                    + Tensor.shapeString(nchw));
        }
    }

    /** NCHW {@code x} into its blocked form {@code out} (padding channels written as zeros). */
    public static Runnable toBlocked(Tensor x, Tensor out) {
        if (x == null || x.rank() != 4) {
            throw new IllegalArgumentException("ChannelBlocks.toBlocked: expected an NCHW input, got "
                    + (x == null ? "null" : x.shapeString()));
        }
        require("ChannelBlocks.toBlocked", "out", out, x.shape());
        int channels = x.c(), hw = x.h() * x.w(), cb = blocks(channels);
        return new PreparedLoop(x.n() * cb, grain(hw)) {
            @Override
            public void run(int from, int to) {
                float[] src = x.data(), dst = out.data();
                for (int t = from; t < to; t++) {
                    int n = t / cb, b = t % cb;
                    int d = t * hw * SIZE;
                    for (int j = 0; j < SIZE; j++) {
                        int c = b * SIZE + j;
                        if (c >= channels) {
                            for (int p = 0; p < hw; p++) {
                                dst[d + p * SIZE + j] = 0f;
                            }
                            continue;
                        }
                        int s = (n * channels + c) * hw;
                        for (int p = 0; p < hw; p++) {
                            dst[d + p * SIZE + j] = src[s + p];
                        }
                    }
                }
            }
        };
    }

    /** Blocked {@code x} back into NCHW {@code out}. */
    public static Runnable toNchw(Tensor x, Tensor out) {
        if (out == null || out.rank() != 4) {
            throw new IllegalArgumentException("ChannelBlocks.toNchw: expected an NCHW output, got "
                    + (out == null ? "null" : out.shapeString()));
        }
        require("ChannelBlocks.toNchw", "x", x, out.shape());
        int channels = out.c(), hw = out.h() * out.w(), cb = blocks(channels);
        return new PreparedLoop(out.n() * channels, grain(hw)) {
            @Override
            public void run(int from, int to) {
                float[] src = x.data(), dst = out.data();
                for (int t = from; t < to; t++) {
                    int n = t / channels, c = t % channels;
                    int s = ((n * cb + c / SIZE) * hw) * SIZE + c % SIZE;
                    int d = t * hw;
                    for (int p = 0; p < hw; p++) {
                        dst[d + p] = src[s + p * SIZE];
                    }
                }
            }
        };
    }

    /** Global average pool of blocked {@code x} into {@code out} of {@code [N, C, 1, 1]} or {@code [N, C]}. */
    public static Runnable globalAvgPool(Tensor x, Tensor out, int channels) {
        int n = out == null ? -1 : out.dim(0);
        if (out == null || out.size() != n * channels || x == null || x.rank() != 5 || x.dim(0) != n
                || x.dim(1) != blocks(channels) || x.dim(4) != SIZE) {
            throw new IllegalArgumentException("ChannelBlocks.globalAvgPool: x " + (x == null ? "null" : x.shapeString())
                    + " and out " + (out == null ? "null" : out.shapeString()) + " do not fit " + channels
                    + " channels");
        }
        int hw = x.dim(2) * x.dim(3), cb = x.dim(1);
        float scale = 1f / hw;
        float[] sums = new float[n * cb * SIZE];
        return new PreparedLoop(n * cb, grain(hw)) {
            @Override
            public void run(int from, int to) {
                float[] src = x.data(), dst = out.data();
                for (int t = from; t < to; t++) {
                    FloatVector acc = FloatVector.zero(S);
                    for (int p = 0, at = t * hw * SIZE; p < hw; p++, at += SIZE) {
                        acc = acc.add(FloatVector.fromArray(S, src, at));
                    }
                    acc.mul(scale).intoArray(sums, t * SIZE);
                    int img = t / cb, c0 = (t % cb) * SIZE;
                    for (int j = 0; j < SIZE && c0 + j < channels; j++) {
                        dst[img * channels + c0 + j] = sums[t * SIZE + j];
                    }
                }
            }
        };
    }

    /** Items per task: enough pixels to pay for a task. */
    static int grain(int pixelsPerItem) {
        return Math.max(1, 4096 / Math.max(1, pixelsPerItem));
    }
}
