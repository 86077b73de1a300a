package dev.depthwise.io.onnx;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ConvSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.AdaptiveAvgPool2d;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Conv2d;
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

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exports a model to ONNX (opset {@value OnnxGraph#OPSET}) by walking its module tree: one small exporter
 * per layer type turns the layer into ONNX nodes, with weights as initializers named by their state-dict
 * keys. The graph is the model in eval mode (BatchNorm on running statistics, Dropout the identity), with
 * a symbolic batch dimension.
 *
 * <p>SegNet's pool indices need no special case: a {@link MaxPool2d} becomes MaxPool with its Indices
 * output, remembered here, and the {@link MaxUnpool2d} built on that pool becomes MaxUnpool reading them,
 * back to the shape of the pool's input.
 */
public final class OnnxExporter {
    /** Turns one layer into nodes: its input tensor name in, its output tensor name out. */
    @FunctionalInterface
    interface LayerExporter<M extends Module> {
        String export(OnnxExporter exporter, String path, M layer, String input);
    }

    private static final Map<Class<?>, LayerExporter<?>> EXPORTERS = new HashMap<>();

    static <M extends Module> void register(Class<M> type, LayerExporter<M> exporter) {
        EXPORTERS.put(type, exporter);
    }

    static {
        register(Sequential.class, (e, path, seq, x) -> e.exportChildren(path, seq, x));
        register(DepthwiseSeparableConv2d.class, (e, path, m, x) -> e.exportChildren(path, m, x));
        register(Conv2d.class, OnnxExporter::conv);
        register(BatchNorm2d.class, OnnxExporter::batchNorm);
        register(ReLU.class, (e, path, m, x) -> e.graph.relu(path, x));
        register(ReLU6.class, (e, path, m, x) -> e.graph.relu6(path, x));
        register(Dropout.class, (e, path, m, x) -> x); // inference: the identity
        register(Identity.class, (e, path, m, x) -> x);
        register(Flatten.class, (e, path, m, x) -> e.graph.flatten(path, x));
        register(Linear.class, (e, path, m, x) -> e.graph.linear(path, x, e.weight(path, "weight", m.weight().value()),
                m.bias() == null ? null : e.weight(path, "bias", m.bias().value())));
        register(MaxPool2d.class, OnnxExporter::maxPool);
        register(MaxUnpool2d.class, OnnxExporter::maxUnpool);
        register(AdaptiveAvgPool2d.class, (e, path, m, x) -> e.graph.globalAveragePool(path, x));
        register(Upsample.class, (e, path, m, x) -> e.graph.resize(path, x, m.scale(), m.scale(),
                m.mode() == Upsample.Mode.BILINEAR));
        ModelExporters.registerAll();
    }

    private final OnnxGraph graph;
    /** Each exported pool's input and Indices output, for the unpool built on it. */
    private final Map<MaxPool2d, List<String>> pools = new IdentityHashMap<>();

    private OnnxExporter(OnnxGraph graph) {
        this.graph = graph;
    }

    /**
     * The name of the graph's output and of the Identity node that gives it (ONNX Runtime removes that node and names
     * the node before it so).
     */
    public static final String OUTPUT = "output";

    /**
     * The model as an ONNX graph for inputs of shape {@code [batch, c, h, w]} (batch symbolic); input
     * {@code input}, output {@code output}. The model is not changed (not even its mode).
     *
     * @throws UnsupportedOperationException naming the layer type and its path when a layer cannot be exported
     */
    public static OnnxGraph export(Module model, String name, int c, int h, int w) {
        checkInputFits(model, c, h, w);
        OnnxGraph graph = new OnnxGraph(name);
        String input = graph.input("input", -1, c, h, w);
        String last = new OnnxExporter(graph).exportModule("", model, input);
        // The graph output needs its own name; Identity also covers a model that returns its input.
        String output = graph.identity(OUTPUT, last);
        graph.output(output, (int[]) null);
        return graph;
    }

    /**
     * The graph does not check shapes, so an input the model cannot take would otherwise give a file that only
     * fails later, inside ONNX Runtime.
     */
    private static void checkInputFits(Module model, int c, int h, int w) {
        try {
            Models.checkInput(model, c, h, w);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ONNX export: " + e.getMessage(), e);
        }
    }

    /** Exports and writes {@code file}. */
    public static void write(Module model, String name, int c, int h, int w, Path file) throws IOException {
        export(model, name, c, h, w).write(file, "depthwise");
    }

    /** The serialized model, as ONNX Runtime's session constructor takes it. */
    public static byte[] toBytes(Module model, String name, int c, int h, int w) {
        return export(model, name, c, h, w).model("depthwise").toByteArray();
    }

    /** Exports {@code module} at {@code path} (its state-dict prefix) on input {@code x}; returns its output. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    String exportModule(String path, Module module, String x) {
        for (Class<?> type = module.getClass(); type != null && type != Module.class; type = type.getSuperclass()) {
            LayerExporter exporter = EXPORTERS.get(type);
            if (exporter != null) {
                return exporter.export(this, path, module, x);
            }
        }
        throw new UnsupportedOperationException("ONNX export: layer type " + module.typeName() + " ("
                + module.getClass().getName() + ") at '" + (path.isEmpty() ? "<model>" : path)
                + "' has no ONNX exporter");
    }

    /** Runs the children in order, as Sequential does. */
    String exportChildren(String path, Module parent, String x) {
        for (var child : parent.children().entrySet()) {
            x = exportModule(childPath(path, child.getKey()), child.getValue(), x);
        }
        return x;
    }

    static String childPath(String path, String child) {
        return path.isEmpty() ? child : path + "." + child;
    }

    /** The graph being built, for exporters outside this class. */
    OnnxGraph graph() {
        return graph;
    }

    /** A weight as an initializer named by its state-dict key. */
    String weight(String path, String name, Tensor value) {
        return graph.initializer(childPath(path, name), value);
    }

    private static String conv(OnnxExporter e, String path, Conv2d conv, String x) {
        ConvSpec s = conv.spec();
        String w = e.weight(path, "weight", conv.weight().value());
        String b = conv.bias() == null ? null : e.weight(path, "bias", conv.bias().value());
        return e.graph.conv(path, x, w, b, s.kernelH(), s.kernelW(), s.strideH(), s.strideW(), s.padH(), s.padW(),
                s.dilationH(), s.dilationW(), s.groups());
    }

    private static String batchNorm(OnnxExporter e, String path, BatchNorm2d bn, String x) {
        int c = bn.channels();
        // A non-affine BatchNorm is the affine one with scale 1 and shift 0.
        Tensor scale = bn.weight() != null ? bn.weight().value() : Tensor.full(1f, c);
        Tensor shift = bn.bias() != null ? bn.bias().value() : Tensor.zeros(c);
        return e.graph.batchNorm(path, x, e.weight(path, "weight", scale), e.weight(path, "bias", shift),
                e.weight(path, "running_mean", bn.runningMean()), e.weight(path, "running_var", bn.runningVar()),
                bn.eps());
    }

    private static String maxPool(OnnxExporter e, String path, MaxPool2d pool, String x) {
        List<String> outs = e.graph.maxPoolWithIndices(path, x, pool.kernel(), pool.stride());
        e.pools.put(pool, List.of(x, outs.get(1)));
        return outs.get(0);
    }

    private static String maxUnpool(OnnxExporter e, String path, MaxUnpool2d unpool, String x) {
        MaxPool2d pool = unpool.pool();
        List<String> pooled = e.pools.get(pool);
        if (pooled == null) {
            throw new UnsupportedOperationException("ONNX export: MaxUnpool2d at '" + path
                    + "' comes before the MaxPool2d it unpools in the module tree");
        }
        return e.graph.maxUnpool(path, x, pooled.get(1), pooled.get(0), pool.kernel(), pool.stride());
    }
}
