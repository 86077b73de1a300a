package dev.depthwise.nn.inference;

import dev.depthwise.engine.op.BlockedConv;
import dev.depthwise.engine.op.ChannelBlocks;
import dev.depthwise.engine.op.ConvSpec;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The layout pass: which values are stored channel-blocked ({@link ChannelBlocks}). A conv with a blocked kernel
 * ({@link BlockedConv#supports}) reading blocks writes blocks; one reading NCHW (the stem, a conv after a
 * concat) writes blocks when a reader of its output takes them, else NCHW. 2x2 pools and their unpools stay in the layout they are
 * given, a global average pool reads either; every other op reads NCHW, and a value leaves or enters the layout
 * through one reorder step, shared by all its readers. The model's input and output are NCHW.
 */
final class Layout {
    private final List<Graph.Node> nodes = new ArrayList<>();
    private final Map<Graph.Value, Graph.Value> nchwCopies = new IdentityHashMap<>();
    private final Map<Graph.Value, Graph.Value> blockedCopies = new IdentityHashMap<>();
    private final Map<Op.PoolWinners, Boolean> blockedPools = new IdentityHashMap<>();
    private final Graph graph;
    /** Values some reader takes in the blocked layout. */
    private final Map<Graph.Value, Boolean> readBlocked = new IdentityHashMap<>();

    private Layout(Graph graph) {
        this.graph = graph;
        for (Graph.Node node : graph.nodes) {
            Op op = node.op();
            boolean takesBlocks = op instanceof Op.Conv conv && BlockedConv.supports(conv.spec(), true)
                    || op instanceof Op.MaxPool pool && pool.kernel() == 2 && pool.stride() == 2
                    || op instanceof Op.MaxUnpool || op instanceof Op.GlobalAvgPool;
            if (takesBlocks) {
                readBlocked.put(node.input(), true);
            }
        }
    }

    /** Marks the blocked values of {@code graph} and adds the reorders they need. */
    static void blockWherePossible(Graph graph) {
        Layout pass = new Layout(graph);
        for (Graph.Node node : graph.nodes) {
            pass.place(node);
        }
        graph.output = pass.as(false, graph.output, "");
        graph.nodes.clear();
        graph.nodes.addAll(pass.nodes);
    }

    private void place(Graph.Node node) {
        Graph.Value[] in = node.inputs().clone();
        boolean blockedOut = false;
        if (node.op() instanceof Op.Conv conv) {
            boolean readsBlocks = in[0].blocked && BlockedConv.supports(conv.spec(), true);
            blockedOut = readsBlocks
                    || BlockedConv.supports(conv.spec(), false) && readBlocked.containsKey(node.output());
            in[0] = as(readsBlocks, in[0], node.path());
            if (in.length > 1) {
                in[1] = as(blockedOut, in[1], node.path());
            }
        } else if (node.op() instanceof Op.MaxPool pool) {
            blockedOut = in[0].blocked && pool.kernel() == 2 && pool.stride() == 2;
            in[0] = as(blockedOut, in[0], node.path());
            blockedPools.put(pool.winners(), blockedOut);
        } else if (node.op() instanceof Op.MaxUnpool unpool) {
            blockedOut = blockedPools.get(unpool.winners());
            in[0] = as(blockedOut, in[0], node.path());
        } else if (!(node.op() instanceof Op.GlobalAvgPool)) {
            for (int i = 0; i < in.length; i++) {
                in[i] = as(false, in[i], node.path());
            }
        }
        node.output().blocked = blockedOut;
        nodes.add(node.withInputs(in));
    }

    /** {@code v} in the layout asked for: itself, or its reordered copy (made once). */
    private Graph.Value as(boolean blocked, Graph.Value v, String path) {
        if (v.blocked == blocked) {
            return v;
        }
        return (blocked ? blockedCopies : nchwCopies).computeIfAbsent(v, source -> {
            Graph.Value copy = graph.newValue(source.shape);
            copy.blocked = blocked;
            nodes.add(new Graph.Node(path, new Op.Reorder(blocked), new Graph.Value[] {source}, copy, List.of()));
            return copy;
        });
    }
}
