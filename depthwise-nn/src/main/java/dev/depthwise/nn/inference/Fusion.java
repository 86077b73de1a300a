package dev.depthwise.nn.inference;

import dev.depthwise.engine.op.Activation;
import dev.depthwise.engine.op.BlockedSeparableConv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The fusion passes: each joins a node to the one node that reads its output, so that the value between them is
 * never written to memory. Which pairs join is a {@link Rule} over the two ops; the rewiring is common to all.
 */
final class Fusion {
    private Fusion() {
    }

    /** The op that computes {@code consumer}'s output straight from {@code producer}'s inputs, or null. */
    @FunctionalInterface
    interface Rule {
        Op join(Graph.Node producer, Graph.Node consumer);
    }

    /** conv → BatchNorm: the statistics folded into the conv's weights and bias. */
    static final Rule FOLD_BATCH_NORM = (p, c) -> p.op() instanceof Op.Conv conv && c.op() instanceof Op.BatchNorm bn
            && !conv.foldedNorm() && conv.act() == Activation.NONE && !conv.residual()
            && bn.act() == Activation.NONE ? FoldedConv.of(conv, bn.norm()) : null;

    /** conv or BatchNorm → ReLU/ReLU6: applied in the producer's epilogue, while the output is hot. */
    static final Rule ACTIVATION = (p, c) -> {
        if (!(c.op() instanceof Op.Act act)) {
            return null;
        }
        if (p.op() instanceof Op.Conv conv && conv.act() == Activation.NONE) {
            return conv.withAct(act.act());
        }
        return p.op() instanceof Op.BatchNorm bn && bn.act() == Activation.NONE
                ? new Op.BatchNorm(bn.norm(), act.act()) : null;
    };

    /** conv → add: the other operand added in the conv's epilogue (before any activation fused later). */
    static final Rule RESIDUAL_ADD = (p, c) -> p.op() instanceof Op.Conv conv && c.op() instanceof Op.Add
            && conv.act() == Activation.NONE && !conv.residual() ? conv.withResidual() : null;

    /**
     * Blocked 3x3 depthwise conv → blocked pointwise conv: one step, band by band through a per-thread scratch
     * ({@link BlockedSeparableConv}). Runs after the layout pass, which decides what is blocked.
     */
    static final Rule SEPARABLE_PAIR = (p, c) -> p.op() instanceof Op.Conv dw && c.op() instanceof Op.Conv pw
            && !dw.residual() && c.input() == p.output() && p.input().blocked && p.output().blocked && c.output().blocked
            && BlockedSeparableConv.supports(dw.spec(), pw.spec()) ? new Op.SeparableConv(dw, pw) : null;

    /**
     * Applies {@code rule} to every node and the producer of each of its inputs that nothing else reads (the graph's
     * output counts as a reader). The joined node takes the consumer's place, reading the producer's inputs and the
     * consumer's other inputs, which all come earlier.
     */
    static void apply(Graph graph, Rule rule) {
        Map<Graph.Value, Integer> readers = graph.readers();
        Map<Graph.Value, Graph.Node> producers = graph.producers();
        List<Graph.Node> nodes = graph.nodes;
        for (int i = 0; i < nodes.size(); i++) {
            Graph.Node consumer = nodes.get(i);
            for (Graph.Value v : consumer.inputs()) {
                Graph.Node producer = producers.get(v);
                Op joined = producer == null || readers.get(v) != 1 ? null : rule.join(producer, consumer);
                if (joined == null) {
                    continue;
                }
                List<Graph.Value> inputs = new ArrayList<>(Arrays.asList(producer.inputs()));
                for (Graph.Value other : consumer.inputs()) {
                    if (other != v) {
                        inputs.add(other);
                    }
                }
                List<String> modules = new ArrayList<>(producer.modules());
                modules.addAll(consumer.modules());
                Graph.Node node = new Graph.Node(commonPath(producer.path(), consumer.path()), joined,
                        inputs.toArray(Graph.Value[]::new), consumer.output(), modules);
                nodes.set(i, node);
                producers.put(node.output(), node);
                nodes.remove(indexOf(nodes, producer));
                i--;
                break;
            }
        }
    }

    private static int indexOf(List<Graph.Node> nodes, Graph.Node node) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i) == node) {
                return i;
            }
        }
        throw new IllegalStateException("node not in the graph: " + node.path());
    }

    /** The path both modules are under: {@code features.2.conv} for {@code features.2.conv.1.0} and {@code .2}. */
    static String commonPath(String a, String b) {
        String[] x = a.split("\\."), y = b.split("\\.");
        int k = 0;
        while (k < x.length && k < y.length && x[k].equals(y[k])) {
            k++;
        }
        return String.join(".", Arrays.asList(x).subList(0, k));
    }
}
