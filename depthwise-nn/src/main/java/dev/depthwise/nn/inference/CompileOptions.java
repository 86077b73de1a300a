package dev.depthwise.nn.inference;

import dev.depthwise.engine.Parallel;

/**
 * How {@link InferenceModel#compile(dev.depthwise.nn.Module, CompileOptions, int...)} builds a plan. Immutable;
 * start from {@link #defaults()} and change what you need:
 *
 * <pre>{@code
 * CompileOptions nchw = CompileOptions.defaults().withLayout(CompileOptions.Layout.NCHW);
 * }</pre>
 *
 * @param layout        where activations may be stored channel-blocked (see {@link Layout})
 * @param fuseSeparable whether each blocked 3x3 depthwise conv and the pointwise conv that alone reads it run as
 *                      one step (on by default; off only to compare)
 * @param threads       the engine's thread count while the plan is compiled (its kernels split their work for it)
 *                      and while it runs; 0 leaves it as it is ({@link Parallel} is shared by the whole process,
 *                      so a plan with a count sets it for everyone)
 * @param winograd      whether blocked dense 3x3 convs at stride 1 may run as Winograd convolutions, each where the
 *                      engine's cost model ({@code BlockedWinogradConv.choose}) expects it faster (on by default:
 *                      SegNet at 128x128 in 0.55-0.6 of the direct convs' time; off to compare, or for results
 *                      closer to direct convolution's rounding; docs/benchmarks/winograd.md)
 */
public record CompileOptions(Layout layout, boolean fuseSeparable, int threads, boolean winograd) {
    /** Activation layouts. */
    public enum Layout {
        /**
         * Every conv with a blocked kernel, and the 2x2 pools and unpools between them, keep activations in
         * the channel-blocked layout (NCHWc); other layers read NCHW, one reorder away. Measured on MobileNetV2 at 224,
         * batch 1: 4.2 ms with NCHW kernels, 2.7 ms blocked (docs/benchmarks).
         */
        CHANNEL_BLOCKED,
        /** Every activation NCHW, as in training: for comparing, as PyTorch's {@code mkldnn.enabled = False}. */
        NCHW
    }

    public CompileOptions {
        if (layout == null) {
            throw new IllegalArgumentException("CompileOptions: layout must not be null");
        }
        if (threads < 0) {
            throw new IllegalArgumentException("CompileOptions: threads must be 0 (as set) or positive, got "
                    + threads);
        }
    }

    /**
     * Channel-blocked, depthwise and pointwise convs fused, Winograd where the cost model picks it, the engine's
     * thread count as it is.
     */
    public static CompileOptions defaults() {
        return new CompileOptions(Layout.CHANNEL_BLOCKED, true, 0, true);
    }

    public CompileOptions withLayout(Layout newLayout) {
        return new CompileOptions(newLayout, fuseSeparable, threads, winograd);
    }

    public CompileOptions withFuseSeparable(boolean fuse) {
        return new CompileOptions(layout, fuse, threads, winograd);
    }

    public CompileOptions withThreads(int newThreads) {
        return new CompileOptions(layout, fuseSeparable, newThreads, winograd);
    }

    public CompileOptions withWinograd(boolean chosenByCost) {
        return new CompileOptions(layout, fuseSeparable, threads, chosenByCost);
    }
}
