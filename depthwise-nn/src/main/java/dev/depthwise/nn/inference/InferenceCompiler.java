package dev.depthwise.nn.inference;

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
}
