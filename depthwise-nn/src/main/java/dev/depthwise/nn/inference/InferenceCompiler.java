package dev.depthwise.nn.inference;

import dev.depthwise.engine.op.BlockedWinogradConv;
import dev.depthwise.engine.op.WinogradConv;
import dev.depthwise.nn.Module;

/**
 * Compiles a model for one input shape: the model lowers itself into a {@link Graph} ({@link Module#lower}), then
 * generic passes rewrite it — fold BatchNorm into convs, fuse activations and residual adds into the ops before them
 * ({@link Fusion}), choose the layout ({@link Layout}), join blocked depthwise and pointwise convs — and reshapes
 * become views of their input's buffer. No model is named here: whatever lowers, compiles.
 */
final class InferenceCompiler {
    private InferenceCompiler() {
    }

    static Graph compile(Module model, int[] inputShape, CompileOptions options) {
        Graph graph = new GraphBuilder(inputShape).lowerModel(model);
        Fusion.apply(graph, Fusion.FOLD_BATCH_NORM);
        Fusion.apply(graph, Fusion.ACTIVATION);
        Fusion.apply(graph, Fusion.RESIDUAL_ADD);
        Fusion.apply(graph, Fusion.ACTIVATION); // a ReLU after a residual add joins the conv that now adds it
        if (options.layout() == CompileOptions.Layout.CHANNEL_BLOCKED) {
            Layout.blockWherePossible(graph);
            if (options.fuseSeparable()) {
                Fusion.apply(graph, Fusion.SEPARABLE_PAIR);
            }
            if (options.winograd()) {
                chooseWinograd(graph);
            }
        }
        graph.nodes.removeIf(node -> {
            if (node.op() instanceof Op.Reshape) {
                node.output().storage = node.input().storage;
                return true;
            }
            return false;
        });
        if (graph.output.storage == graph.input) {
            graph.output = graph.add("", new Op.Copy(), graph.output.shape, graph.output);
        }
        return graph;
    }

    /** Each blocked dense 3x3 conv without a residual becomes a Winograd conv where the cost model expects it faster. */
    private static void chooseWinograd(Graph graph) {
        for (int i = 0; i < graph.nodes.size(); i++) {
            Graph.Node node = graph.nodes.get(i);
            if (node.op() instanceof Op.Conv conv && !conv.residual() && node.input().blocked && node.output().blocked) {
                int[] in = node.input().shape;
                WinogradConv.Tile tile = BlockedWinogradConv.choose(conv.spec(), in[0], in[2], in[3]);
                if (tile != null) {
                    graph.nodes.set(i, node.withOp(new Op.Winograd(conv, tile)));
                }
            }
        }
    }
}
