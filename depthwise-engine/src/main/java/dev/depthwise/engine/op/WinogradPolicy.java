package dev.depthwise.engine.op;

/**
 * Which convs of training ({@link ConvOp}) run as Winograd convolutions ({@link WinogradConv}), and with which tile:
 * asked per call with the conv and its input's size, for the forward, the input gradient (a conv of gradOut, asked
 * with that conv's spec) and the weight gradient (asked with the forward's).
 */
@FunctionalInterface
public interface WinogradPolicy {
    /** The tile for {@code spec} on an {@code n×C×h×w} input, or null for direct convolution. */
    WinogradConv.Tile tile(ConvSpec spec, int n, int h, int w);

    /** Where the cost model ({@link WinogradConv#choose}) expects Winograd to be faster: training's default. */
    WinogradPolicy COST_MODEL = WinogradConv::choose;

    /** Direct convolution everywhere. */
    WinogradPolicy NEVER = (spec, n, h, w) -> null;

    /** Every conv Winograd can compute, with {@code tile}, whatever it costs: for tests. */
    static WinogradPolicy always(WinogradConv.Tile tile) {
        return (spec, n, h, w) -> WinogradConv.supports(spec) ? tile : null;
    }
}
