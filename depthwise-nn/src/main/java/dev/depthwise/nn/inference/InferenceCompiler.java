package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.BlockedConv;
import dev.depthwise.engine.op.BlockedPool;
import dev.depthwise.engine.op.BlockedSeparableConv;
import dev.depthwise.engine.op.ChannelBlocks;
import dev.depthwise.engine.op.ConvSpec;
import dev.depthwise.engine.op.PoolOp;
import dev.depthwise.models.InvertedResidual;
import dev.depthwise.models.MobileNetV2;
import dev.depthwise.models.MobileNetV2Segmenter;
import dev.depthwise.models.SegNet;
import dev.depthwise.nn.AdaptiveAvgPool2d;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Conv2dNormActivation;
import dev.depthwise.nn.DepthwiseSeparableConv2d;
import dev.depthwise.nn.Dropout;
import dev.depthwise.nn.Flatten;
import dev.depthwise.nn.Identity;
import dev.depthwise.nn.Linear;
import dev.depthwise.nn.MaxPool2d;
import dev.depthwise.nn.MaxUnpool2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.ReLU;
import dev.depthwise.nn.ReLU6;
import dev.depthwise.nn.Sequential;
import dev.depthwise.nn.Upsample;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers an eval-mode module tree into a {@link Graph}: the layers in execution order, with each
 * conv → BatchNorm → ReLU/ReLU6 run collapsed into one conv step (BatchNorm folded into the weights and bias,
 * the activation applied while the output is hot). Composite models are lowered from their forward passes:
 * MobileNetV2's residuals, SegNet's pool indices reaching the mirrored unpool, the segmenter's skips and
 * concatenations. Anything else is refused with the layer's path and type.
 *
 * <p>MobileNetV2's features (in the classifier and the segmenter), and on request SegNet and SegNet-DSC (see
 * {@link #BLOCKED_PROPERTY}), run in the {@link ChannelBlocks channel-blocked layout}: the first conv with a blocked
 * kernel reads the NCHW image and writes blocks, the pointwise and depthwise convs (and SegNet's dense convs and 2x2
 * pools) stay blocked, and a value leaves the layout (one reorder) only where a layer without a blocked kernel reads
 * it. Measured on MobileNetV2 at 224, batch 1: 4.2 ms with NCHW kernels, 2.7 ms blocked (docs/benchmarks). Then
 * {@link #FUSE_PROPERTY} joins each blocked depthwise conv to the pointwise conv that reads it: 0.79-0.82 of the
 * unfused time in the same JVM.
 */
final class InferenceCompiler {
    private final Graph graph;
    /** Each lowered pool's indices and input shape, for the unpool built on it. */
    private final Map<MaxPool2d, PoolRecord> pools = new IdentityHashMap<>();

    /** A pool's NCHW input shape and its winners: NCHW flat indices, or (blocked pool) {@link BlockedPool}'s. */
    private record PoolRecord(int[] indices, float[] blockedWinners, int[] inputShape) {
    }

    /** Conv steps by output, so a residual add can be moved into the conv that made its operand. */
    private final Map<Graph.Value, ConvNode> convs = new IdentityHashMap<>();

    private record ConvNode(String path, ConvSpec spec, FoldedConv folded, Activation act, String what,
                            Graph.Value input, Graph.Value residual) {
    }

    /** The NCHW shape of each blocked value; a value not here is NCHW. */
    private final Map<Graph.Value, int[]> blocked = new IdentityHashMap<>();
    /** Each blocked value's NCHW copy, once made. */
    private final Map<Graph.Value, Graph.Value> unblocked = new IdentityHashMap<>();
    /** While true, a conv with a blocked kernel writes the blocked layout (MobileNetV2's features). */
    private boolean preferBlocked;

    private InferenceCompiler(int[] inputShape) {
        this.graph = new Graph(inputShape);
    }

    /** The graph of {@code model} for one input shape, and its output value. */
    static Graph compile(Module model, int[] inputShape) {
        InferenceCompiler c = new InferenceCompiler(inputShape);
        Graph.Value out = c.nchw(c.lower(model, "", c.graph.input), "");
        if (out.storage == c.graph.input) {
            out = c.graph.add("", "copy", out.shape, (in, o) -> Steps.copy(in[0], o), out);
        }
        c.graph.output = out;
        if (fuseSetting()) {
            c.fuseSeparablePairs();
        }
        return c.graph;
    }

    /**
     * Whether a blocked 3x3 depthwise conv and the pointwise conv that alone reads it become one step
     * ({@link BlockedSeparableConv}), read at each compile: {@code true} (the default) or {@code false}, for
     * comparing the two. Measured on MobileNetV2 at 224, batch 1: see docs/benchmarks.
     */
    static final String FUSE_PROPERTY = "depthwise.inference.fuse";

    private static boolean fuseSetting() {
        String value = System.getProperty(FUSE_PROPERTY, "true").trim().toLowerCase(java.util.Locale.ROOT);
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException("-D" + FUSE_PROPERTY + "=" + value + ": expected true or false");
        }
        return value.equals("true");
    }

    /** Each blocked depthwise conv whose only reader is the next step, a blocked pointwise conv, joins that step. */
    private void fuseSeparablePairs() {
        Map<Graph.Value, Integer> readers = new IdentityHashMap<>();
        for (Graph.Node node : graph.nodes) {
            for (Graph.Value v : node.inputs()) {
                readers.merge(v.storage, 1, Integer::sum);
            }
        }
        for (int i = 1; i < graph.nodes.size(); i++) {
            Graph.Node first = graph.nodes.get(i - 1), second = graph.nodes.get(i);
            ConvNode dw = convs.get(first.output()), pw = convs.get(second.output());
            if (dw == null || pw == null || pw.input() != first.output() || first.output() == graph.output
                    || readers.getOrDefault(first.output(), 0) != 1 || !blocked.containsKey(dw.input())
                    || !blocked.containsKey(second.output()) || !BlockedSeparableConv.supports(dw.spec(), pw.spec())) {
                continue;
            }
            Graph.Value[] inputs = pw.residual() == null ? new Graph.Value[] {dw.input()}
                    : new Graph.Value[] {dw.input(), pw.residual()};
            Graph.StepFactory step = (in, o) -> Steps.separableConv(dw.spec(), in[0], dw.folded(), dw.act(),
                    pw.spec(), pw.folded(), in.length > 1 ? in[1] : null, o, pw.act());
            String what = dw.what().replace("conv ", "") + " -> " + pw.what().replace("conv ", "");
            graph.nodes.set(i - 1, new Graph.Node(commonPath(first.path(), second.path()), what, inputs,
                    second.output(), step));
            graph.nodes.remove(i);
        }
    }

    /** The path both modules are under: {@code features.2.conv} for {@code features.2.conv.1.0} and {@code .2}. */
    private static String commonPath(String a, String b) {
        String[] x = a.split("\\."), y = b.split("\\.");
        int k = 0;
        while (k < x.length && k < y.length && x[k].equals(y[k])) {
            k++;
        }
        return String.join(".", java.util.Arrays.asList(x).subList(0, k));
    }

    /** {@code v} itself if NCHW, else its NCHW copy (one reorder step, shared by every reader). */
    private Graph.Value nchw(Graph.Value v, String path) {
        int[] shape = blocked.get(v);
        if (shape == null) {
            return v;
        }
        return unblocked.computeIfAbsent(v, b -> graph.add(path, "reorder to NCHW", shape,
                (in, o) -> Steps.toNchw(in[0], o), b));
    }

    /** The NCHW shape of {@code v}, whatever its layout. */
    private int[] shapeOf(Graph.Value v) {
        return blocked.getOrDefault(v, v.shape);
    }

    private static String child(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static String label(String path, Module m) {
        return (path.isEmpty() ? "(model)" : path) + " (" + m.typeName() + ")";
    }

    private Graph.Value lower(Module m, String path, Graph.Value x) {
        if (m.getClass() == Sequential.class || m instanceof Conv2dNormActivation
                || m instanceof DepthwiseSeparableConv2d) {
            List<Item> items = new ArrayList<>();
            flatten(m, path, items);
            return lowerRun(items, x);
        }
        if (m instanceof InvertedResidual ir) {
            Graph.Value y = lower(ir.children().get("conv"), child(path, "conv"), x);
            if (!ir.usesResidual()) {
                return y;
            }
            ConvNode last = convs.get(y);
            if (last != null && last.act() == Activation.NONE && graph.nodes.get(graph.nodes.size() - 1).output() == y
                    && blocked.containsKey(y) == blocked.containsKey(x)) {
                // The projection conv adds the block input in its epilogue: no separate pass over memory.
                graph.nodes.remove(graph.nodes.size() - 1);
                return convNode(last.path(), last.spec(), last.folded(), last.act(), last.what() + " + residual",
                        last.input(), x);
            }
            Graph.Value a = nchw(x, path), b = nchw(y, path);
            return graph.add(path, "add residual", b.shape, (in, o) -> Steps.add(in[0], in[1], o), a, b);
        }
        if (m instanceof MobileNetV2 net) {
            return lowerMobileNetV2(net, path, x);
        }
        if (m instanceof SegNet net) {
            return lowerSegNet(net, path, x);
        }
        if (m instanceof MobileNetV2Segmenter net) {
            return lowerSegmenter(net, path, x);
        }
        return lowerRun(List.of(new Item(path, m)), x);
    }

    /** A leaf or a composite inside a sequence, with its path. */
    private record Item(String path, Module module) {
    }

    /** Sequences nest freely (Conv2dNormActivation is one): flatten them so conv-BN-activation runs are visible. */
    private static void flatten(Module m, String path, List<Item> out) {
        if (m.getClass() == Sequential.class || m instanceof Conv2dNormActivation
                || m instanceof DepthwiseSeparableConv2d) {
            m.children().forEach((name, c) -> flatten(c, child(path, name), out));
        } else {
            out.add(new Item(path, m));
        }
    }

    private Graph.Value lowerRun(List<Item> items, Graph.Value x) {
        for (int i = 0; i < items.size(); i++) {
            Item it = items.get(i);
            Module m = it.module();
            if (m instanceof Conv2d conv) {
                BatchNorm2d bn = null;
                if (i + 1 < items.size() && items.get(i + 1).module() instanceof BatchNorm2d next) {
                    bn = next;
                    i++;
                }
                Activation act = i + 1 < items.size() ? activationOf(items.get(i + 1).module()) : Activation.NONE;
                if (act != Activation.NONE) {
                    i++;
                }
                x = conv(it.path(), conv, bn, act, x);
            } else if (m instanceof BatchNorm2d bn) {
                x = nchw(x, it.path());
                Activation act = i + 1 < items.size() ? activationOf(items.get(i + 1).module()) : Activation.NONE;
                if (act != Activation.NONE) {
                    i++;
                }
                x = batchNorm(it.path(), bn, act, x);
            } else if (activationOf(m) != Activation.NONE) {
                Activation act = activationOf(m);
                x = nchw(x, it.path());
                x = graph.add(it.path(), act.name().toLowerCase(java.util.Locale.ROOT), x.shape,
                        (in, o) -> Steps.activation(in[0], o, act), x);
            } else if (isLeafLayer(m)) {
                // Pools choose their layout themselves; the other leaves take NCHW.
                boolean anyLayout = m instanceof Identity || m instanceof Dropout || m instanceof MaxPool2d
                        || m instanceof MaxUnpool2d;
                x = lowerLeaf(it.path(), m, anyLayout ? x : nchw(x, it.path()));
            } else if (isComposite(m)) {
                x = lower(m, it.path(), x);
            } else {
                throw unsupported(it.path(), m);
            }
        }
        return x;
    }

    private static Activation activationOf(Module m) {
        if (m.getClass() == ReLU.class) {
            return Activation.RELU;
        }
        return m.getClass() == ReLU6.class ? Activation.RELU6 : Activation.NONE;
    }

    private static boolean isComposite(Module m) {
        return m.getClass() == Sequential.class || m instanceof Conv2dNormActivation
                || m instanceof DepthwiseSeparableConv2d || m instanceof InvertedResidual || m instanceof MobileNetV2
                || m instanceof SegNet || m instanceof MobileNetV2Segmenter;
    }

    private static boolean isLeafLayer(Module m) {
        return m instanceof MaxPool2d || m instanceof MaxUnpool2d || m instanceof AdaptiveAvgPool2d
                || m instanceof Linear || m instanceof Upsample || m instanceof Flatten || m instanceof Dropout
                || m instanceof Identity;
    }

    private Graph.Value conv(String path, Conv2d conv, BatchNorm2d bn, Activation act, Graph.Value x) {
        ConvSpec spec = conv.spec();
        try {
            spec.outputShape(shapeOf(x));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot compile " + label(path, conv) + " for input "
                    + Tensor.shapeString(shapeOf(x)) + ": " + e.getMessage(), e);
        }
        checkBatchNorm(path, bn, spec.outChannels());
        FoldedConv folded = FoldedConv.of(conv, bn);
        String what = "conv " + spec.kernelH() + "x" + spec.kernelW() + (spec.isDepthwise() ? " depthwise" : "")
                + (bn == null ? "" : " + folded bn") + act.suffix();
        boolean blockedIn = blocked.containsKey(x);
        if (!(blockedIn ? BlockedConv.supports(spec, true) : preferBlocked && BlockedConv.supports(spec, false))) {
            x = nchw(x, path);
        }
        return convNode(path, spec, folded, act, what, x, null);
    }

    /**
     * A conv step; with {@code residual}, its epilogue adds that value. Its output is blocked when its input is, or
     * when blocked output is preferred and the direct kernel takes this NCHW input (the stem).
     */
    private Graph.Value convNode(String path, ConvSpec spec, FoldedConv folded, Activation act, String what,
                                 Graph.Value x, Graph.Value residual) {
        int[] outShape = spec.outputShape(shapeOf(x));
        Graph.Value y;
        if (blocked.containsKey(x) || preferBlocked && BlockedConv.supports(spec, false)) {
            int[] blocks = ChannelBlocks.shape(outShape);
            y = residual == null
                    ? graph.add(path, what, blocks,
                            (in, o) -> Steps.blockedConv(spec, in[0], folded.weight(), folded.bias(), null, o, act), x)
                    : graph.add(path, what, blocks,
                            (in, o) -> Steps.blockedConv(spec, in[0], folded.weight(), folded.bias(), in[1], o, act),
                            x, residual);
            blocked.put(y, outShape);
        } else {
            y = residual == null
                    ? graph.add(path, what, outShape,
                            (in, o) -> Steps.conv(spec, in[0], folded.weight(), folded.bias(), null, o, act), x)
                    : graph.add(path, what, outShape,
                            (in, o) -> Steps.conv(spec, in[0], folded.weight(), folded.bias(), in[1], o, act), x,
                            residual);
        }
        convs.put(y, new ConvNode(path, spec, folded, act, what, x, residual));
        return y;
    }

    private Graph.Value batchNorm(String path, BatchNorm2d bn, Activation act, Graph.Value x) {
        if (x.shape.length != 4) {
            throw new IllegalArgumentException("cannot compile " + label(path, bn) + ": expected an NCHW input, got "
                    + Tensor.shapeString(x.shape));
        }
        checkBatchNorm(path, bn, x.shape[1]);
        return graph.add(path, "batchnorm" + act.suffix(), x.shape, (in, o) -> Steps.batchNorm(bn, in[0], o, act), x);
    }

    private static void checkBatchNorm(String path, BatchNorm2d bn, int channels) {
        if (bn != null && bn.channels() != channels) {
            throw new IllegalArgumentException("cannot compile " + label(path, bn) + ": it has " + bn.channels()
                    + " channels but its input has " + channels);
        }
    }

    private Graph.Value lowerLeaf(String path, Module m, Graph.Value x) {
        if (m instanceof Identity || m instanceof Dropout) {
            return x; // eval mode: the identity
        }
        if (m instanceof Flatten) {
            int batch = x.shape[0];
            return graph.view(x, new int[] {batch, x.size() / Math.max(1, batch)}, path);
        }
        if (m instanceof MaxPool2d pool) {
            return maxPool(path, pool, x);
        }
        if (m instanceof MaxUnpool2d unpool) {
            return maxUnpool(path, unpool, x);
        }
        if (m instanceof AdaptiveAvgPool2d) {
            requireRank(path, m, x, 4);
            return graph.add(path, "global average pool", new int[] {x.shape[0], x.shape[1], 1, 1},
                    (in, o) -> Steps.globalAvgPool(in[0], o), x);
        }
        if (m instanceof Linear linear) {
            int[] w = linear.weight().value().shape();
            if (x.shape.length != 2 || x.shape[1] != w[1]) {
                throw new IllegalArgumentException("cannot compile " + label(path, m) + ": expected input [N, " + w[1]
                        + "], got " + Tensor.shapeString(x.shape));
            }
            Tensor weight = linear.weight().value().copy();
            Tensor bias = linear.bias() == null ? null : linear.bias().value().copy();
            return graph.add(path, "linear", new int[] {x.shape[0], w[0]},
                    (in, o) -> Steps.linear(in[0], weight, bias, o), x);
        }
        Upsample up = (Upsample) m;
        requireRank(path, m, x, 4);
        int s = up.scale();
        return graph.add(path, "upsample " + up.mode().name().toLowerCase(java.util.Locale.ROOT),
                new int[] {x.shape[0], x.shape[1], x.shape[2] * s, x.shape[3] * s},
                (in, o) -> Steps.upsample(up.mode(), in[0], o), x);
    }

    private Graph.Value maxPool(String path, MaxPool2d pool, Graph.Value x) {
        int[] outShape;
        try {
            outShape = PoolOp.maxPoolOutputShape(shapeOf(x), pool.kernel(), pool.stride());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot compile " + label(path, pool) + ": " + e.getMessage(), e);
        }
        int k = pool.kernel(), s = pool.stride();
        if (blocked.containsKey(x) && k == 2 && s == 2) {
            int[] blocks = ChannelBlocks.shape(outShape);
            float[] winners = new float[Math.multiplyExact(Math.multiplyExact(blocks[0] * blocks[1], blocks[2]),
                    blocks[3] * blocks[4])];
            pools.put(pool, new PoolRecord(null, winners, shapeOf(x).clone()));
            Graph.Value y = graph.add(path, "max pool 2x2 with indices", blocks,
                    (in, o) -> Steps.blockedMaxPool(in[0], o, winners), x);
            blocked.put(y, outShape);
            return y;
        }
        x = nchw(x, path);
        int[] indices = new int[Math.multiplyExact(Math.multiplyExact(outShape[0], outShape[1]),
                outShape[2] * outShape[3])];
        pools.put(pool, new PoolRecord(indices, null, x.shape.clone()));
        return graph.add(path, "max pool " + k + "x" + k + " with indices", outShape,
                (in, o) -> Steps.maxPool(in[0], k, s, o, indices), x);
    }

    private Graph.Value maxUnpool(String path, MaxUnpool2d unpool, Graph.Value x) {
        PoolRecord rec = pools.get(unpool.pool());
        if (rec == null) {
            throw new IllegalArgumentException("cannot compile " + label(path, unpool)
                    + ": its MaxPool2d has not run before it in this model");
        }
        int[] pooled = PoolOp.maxPoolOutputShape(rec.inputShape(), unpool.pool().kernel(), unpool.pool().stride());
        if (!java.util.Arrays.equals(pooled, shapeOf(x))) {
            throw new IllegalArgumentException("cannot compile " + label(path, unpool) + ": input "
                    + Tensor.shapeString(shapeOf(x)) + " does not match its pool's output " + Tensor.shapeString(pooled));
        }
        if (rec.blockedWinners() != null) {
            Graph.Value in = blocked.containsKey(x) ? x : graph.add(path, "reorder to blocked",
                    ChannelBlocks.shape(pooled), (i, o) -> Steps.toBlocked(i[0], o), x);
            blocked.put(in, pooled);
            Graph.Value y = graph.add(path, "max unpool", ChannelBlocks.shape(rec.inputShape()),
                    (i, o) -> Steps.blockedMaxUnpool(i[0], rec.blockedWinners(), o), in);
            blocked.put(y, rec.inputShape());
            return y;
        }
        x = nchw(x, path);
        return graph.add(path, "max unpool", rec.inputShape(), (in, o) -> Steps.maxUnpool(in[0], rec.indices(), o), x);
    }

    private static void requireRank(String path, Module m, Graph.Value x, int rank) {
        if (x.shape.length != rank) {
            throw new IllegalArgumentException("cannot compile " + label(path, m) + ": expected a rank-" + rank
                    + " input, got " + Tensor.shapeString(x.shape));
        }
    }

    // ---- models: their forward passes, written as graphs ----

    /** features → global average pool → flatten → classifier, as {@code MobileNetV2.computeForward}. */
    private Graph.Value lowerMobileNetV2(MobileNetV2 net, String path, Graph.Value x) {
        Graph.Value f = blockedFeatures(net.features(), child(path, "features"), x);
        int[] shape = shapeOf(f);
        if (shape.length != 4) {
            throw new IllegalArgumentException("cannot compile " + label(path, net) + ": features gave "
                    + Tensor.shapeString(shape) + ", expected a rank-4 output");
        }
        int[] pooledShape = {shape[0], shape[1], 1, 1};
        String avgpool = child(path, "avgpool");
        Graph.Value pooled = blocked.containsKey(f)
                ? graph.add(avgpool, "global average pool", pooledShape,
                        (in, o) -> Steps.blockedGlobalAvgPool(in[0], o, shape[1]), f)
                : graph.add(avgpool, "global average pool", pooledShape, (in, o) -> Steps.globalAvgPool(in[0], o), f);
        Graph.Value flat = graph.view(pooled, new int[] {shape[0], shape[1]}, child(path, "flatten"));
        return lower(net.classifier(), child(path, "classifier"), flat);
    }

    /**
     * Which plans use the blocked layout, read at each compile: {@code true} (the default) MobileNetV2's features,
     * {@code false} none (every activation NCHW, for comparing the layouts as PyTorch's
     * {@code torch.backends.mkldnn.enabled} does for its kernels), {@code all} SegNet and SegNet-DSC as well.
     *
     * <p>Why SegNet is opt-in: blocked, SegNet-DSC ran 1.15-1.3x and SegNet 1.06-1.2x faster (docs/benchmarks), but
     * in about 2 of 12 fresh JDK 17 JVMs running SegNet-DSC at 16x16, C2 left some blocked kernel un-intrinsified,
     * and every forward pass then allocated ~330 KB of boxed vectors (it happened once in CI, to the allocation
     * test). Not seen in 18 MobileNetV2 runs on JDK 17, nor in 12 SegNet-DSC runs on JDK 25. Still seen (1 of 6
     * JVMs) after the blocked tiles lost the branch that deoptimised them, after which MobileNetV2 did not box in
     * 66 JVMs (see {@code BlockedConv.hasSecond}). Until the cause is found, the default plan stays on the path
     * never seen to box.
     */
    static final String BLOCKED_PROPERTY = "depthwise.inference.blocked";

    private static String blockedLayoutSetting() {
        String value = System.getProperty(BLOCKED_PROPERTY, "true").trim().toLowerCase(java.util.Locale.ROOT);
        if (!value.equals("true") && !value.equals("false") && !value.equals("all")) {
            throw new IllegalArgumentException("-D" + BLOCKED_PROPERTY + "=" + value
                    + ": expected true (MobileNetV2's features), false (nothing) or all");
        }
        return value;
    }

    /** MobileNetV2's feature layers, preferring the blocked layout unless {@link #BLOCKED_PROPERTY} says no. */
    private Graph.Value blockedFeatures(Module features, String path, Graph.Value x) {
        preferBlocked = !blockedLayoutSetting().equals("false");
        try {
            return lower(features, path, x);
        } finally {
            preferBlocked = false;
        }
    }

    /** Input BN, encoder stages (seq then pool), decoder stages (unpool then seq), as {@code SegNet.computeForward}. */
    private Graph.Value lowerSegNet(SegNet net, String path, Graph.Value x) {
        requireChannels(path, net, x, 3);
        if (blockedLayoutSetting().equals("all")) {
            // Every conv and 2x2 pool has a blocked kernel: only the input BatchNorm (and SegNet-DSC's first,
            // 3-channel depthwise conv) run on NCHW planes.
            preferBlocked = true;
            try {
                return lowerSegNetStages(net, path, x);
            } finally {
                preferBlocked = false;
            }
        }
        return lowerSegNetStages(net, path, x);
    }

    private Graph.Value lowerSegNetStages(SegNet net, String path, Graph.Value x) {
        Map<String, Module> c = net.children();
        Graph.Value y = lower(c.get("bn_input"), child(path, "bn_input"), x);
        for (String stage : new String[] {"dc1", "dc2", "dc3", "dc4"}) {
            Map<String, Module> s = c.get(stage).children();
            y = lower(s.get("seq"), child(path, stage + ".seq"), y);
            y = lower(s.get("mp"), child(path, stage + ".mp"), y);
        }
        for (String stage : new String[] {"uc4", "uc3", "uc2", "uc1"}) {
            Map<String, Module> s = c.get(stage).children();
            y = lower(s.get("mup"), child(path, stage + ".mup"), y);
            y = lower(s.get("seq"), child(path, stage + ".seq"), y);
        }
        return y;
    }

    /** Encoder blocks with skip taps, four upsample-concat-conv steps, the head; as its {@code computeForward}. */
    private Graph.Value lowerSegmenter(MobileNetV2Segmenter net, String path, Graph.Value x) {
        requireChannels(path, net, x, 3);
        if (x.shape[2] % 32 != 0 || x.shape[3] % 32 != 0) {
            throw new IllegalArgumentException("cannot compile " + label(path, net)
                    + ": input height and width must be multiples of 32, got " + Tensor.shapeString(x.shape));
        }
        int[] taps = MobileNetV2Segmenter.skipBlocks();
        Sequential features = net.features();
        Graph.Value[] skips = new Graph.Value[taps.length];
        Graph.Value y = x;
        for (int i = 0, tap = 0; i < features.size(); i++) {
            y = blockedFeatures(features.get(i), child(path, "features." + i), y);
            if (tap < taps.length && i == taps[tap]) {
                skips[tap++] = y;
            }
        }
        String[] ups = {"up16", "up8", "up4", "up2"};
        for (int i = 0; i < ups.length; i++) {
            String p = child(path, ups[i]);
            Map<String, Module> block = net.children().get(ups[i]).children();
            Graph.Value u = lower(block.get("upsample"), child(p, "upsample"), y);
            Graph.Value skip = nchw(skips[taps.length - 1 - i], p);
            if (u.shape[2] != skip.shape[2] || u.shape[3] != skip.shape[3]) {
                throw new IllegalArgumentException("cannot compile " + p + ": upsampled " + Tensor.shapeString(u.shape)
                        + " does not match skip " + Tensor.shapeString(skip.shape));
            }
            Graph.Value cat = graph.add(p, "concat channels",
                    new int[] {u.shape[0], u.shape[1] + skip.shape[1], u.shape[2], u.shape[3]},
                    (in, o) -> Steps.concat(in, o), u, skip);
            y = lower(block.get("conv"), child(p, "conv"), cat);
        }
        return lower(net.children().get("head"), child(path, "head"), y);
    }

    private static void requireChannels(String path, Module m, Graph.Value x, int channels) {
        if (x.shape.length != 4 || x.shape[1] != channels) {
            throw new IllegalArgumentException("cannot compile " + label(path, m) + ": expected an [N, " + channels
                    + ", H, W] input, got " + Tensor.shapeString(x.shape));
        }
    }

    /** The error for a module the compiler does not know. */
    static IllegalArgumentException unsupported(String path, Module m) {
        return new NoLoweringException("cannot compile " + label(path, m) + ": no inference lowering for "
                + m.getClass().getName());
    }
}
