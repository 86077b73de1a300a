package dev.depthwise.io.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.depthwise.engine.Tensor;
import dev.depthwise.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A small builder over the generated ONNX protobuf classes: graph inputs and outputs, weights as
 * initializers, and nodes, with every tensor name made unique. Layer exporters only talk to this class,
 * so the protobuf API stays in one place.
 */
public final class OnnxGraph {
    /** Opset 13: Clip with min/max inputs, Resize with scales/sizes inputs, MaxUnpool with output_shape. */
    public static final int OPSET = 13;
    /** The symbolic name of the batch dimension of the input and output. */
    public static final String BATCH = "batch";

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Set<String> names = new HashSet<>();

    public OnnxGraph(String name) {
        graph.setName(name);
    }

    /** Declares a float graph input; a dimension below 1 is symbolic (the batch). */
    public String input(String name, int... shape) {
        String unique = unique(name);
        graph.addInput(valueInfo(unique, shape));
        return unique;
    }

    /** Declares {@code tensorName} a float graph output of the given shape (null: unknown shape). */
    public void output(String tensorName, int... shape) {
        graph.addOutput(valueInfo(tensorName, shape));
    }

    /** A float initializer (a weight) holding {@code values} with the given shape. */
    public String initializer(String name, float[] values, int... shape) {
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        if (size != values.length) {
            throw new IllegalArgumentException("initializer " + name + ": " + values.length
                    + " values do not fit shape " + Tensor.shapeString(shape));
        }
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        String unique = unique(name);
        TensorProto.Builder t = TensorProto.newBuilder().setName(unique)
                .setDataType(TensorProto.DataType.FLOAT.getNumber())
                .setRawData(ByteString.copyFrom(bytes.array()));
        for (int d : shape) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return unique;
    }

    public String initializer(String name, Tensor tensor) {
        return initializer(name, tensor.data(), tensor.shape());
    }

    /** A one-dimensional int64 initializer, for shape-like inputs (Reshape, MaxUnpool sizes). */
    public String int64s(String name, long... values) {
        String unique = unique(name);
        TensorProto.Builder t = TensorProto.newBuilder().setName(unique)
                .setDataType(TensorProto.DataType.INT64.getNumber()).addDims(values.length);
        for (long v : values) {
            t.addInt64Data(v);
        }
        graph.addInitializer(t);
        return unique;
    }

    /** A scalar float initializer (Clip bounds). */
    public String scalar(String name, float value) {
        String unique = unique(name);
        graph.addInitializer(TensorProto.newBuilder().setName(unique)
                .setDataType(TensorProto.DataType.FLOAT.getNumber()).addFloatData(value));
        return unique;
    }

    /** Adds a node with one output, named after the node; returns the output's tensor name. */
    public String node(String opType, String name, List<String> inputs, AttributeProto... attributes) {
        return node(opType, name, inputs, 1, attributes).get(0);
    }

    /**
     * Adds a node with {@code outputs} outputs named {@code name}, {@code name:1}, ...; returns them.
     * An empty input name stands for an omitted optional input, as ONNX specifies.
     */
    public List<String> node(String opType, String name, List<String> inputs, int outputs,
                             AttributeProto... attributes) {
        String base = unique(name);
        NodeProto.Builder node = NodeProto.newBuilder().setOpType(opType).setName(base).addAllInput(inputs);
        String[] outNames = new String[outputs];
        for (int i = 0; i < outputs; i++) {
            outNames[i] = i == 0 ? base : unique(base + ":" + i);
            node.addOutput(outNames[i]);
        }
        for (AttributeProto a : attributes) {
            node.addAttribute(a);
        }
        graph.addNode(node);
        return List.of(outNames);
    }

    public static AttributeProto attr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    public static AttributeProto attr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    public static AttributeProto attr(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    public static AttributeProto attr(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    // ---- Operators as our layers use them (each returns its output tensor's name) ----

    /** Conv with OIHW weights; {@code group} = input channels for a depthwise conv. Bias may be null. */
    public String conv(String name, String x, String weight, String bias, int kernelH, int kernelW,
                       int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int group) {
        List<String> inputs = bias == null ? List.of(x, weight) : List.of(x, weight, bias);
        return node("Conv", name, inputs, attr("kernel_shape", (long) kernelH, kernelW),
                attr("strides", (long) strideH, strideW), attr("pads", (long) padH, padW, padH, padW),
                attr("dilations", (long) dilationH, dilationW), attr("group", (long) group));
    }

    /** BatchNormalization in inference mode: running statistics, as our eval mode. */
    public String batchNorm(String name, String x, String scale, String bias, String mean, String var, float eps) {
        return node("BatchNormalization", name, List.of(x, scale, bias, mean, var), attr("epsilon", eps));
    }

    public String relu(String name, String x) {
        return node("Relu", name, List.of(x));
    }

    /** ReLU6 is Clip(0, 6); opset 11+ takes the bounds as inputs. */
    public String relu6(String name, String x) {
        return node("Clip", name, List.of(x, scalar(name + ".min", 0f), scalar(name + ".max", 6f)));
    }

    /**
     * MaxPool with its second output, the argmax indices (int64). ONNX flattens them over the whole
     * N,C,H,W tensor (batch and channel offsets included), unlike PyTorch's per-plane indices; MaxUnpool
     * reads the same convention, so the two are simply wired together.
     */
    public List<String> maxPoolWithIndices(String name, String x, int kernel, int stride) {
        return node("MaxPool", name, List.of(x), 2, attr("kernel_shape", (long) kernel, kernel),
                attr("strides", (long) stride, stride));
    }

    /**
     * MaxUnpool back to the exact shape of {@code shapeOf} (the tensor that went into the pool), read at run
     * time with Shape, so odd sizes and any batch size come out right.
     */
    public String maxUnpool(String name, String x, String indices, String shapeOf, int kernel, int stride) {
        String shape = node("Shape", name + ".output_shape", List.of(shapeOf));
        return node("MaxUnpool", name, List.of(x, indices, shape), attr("kernel_shape", (long) kernel, kernel),
                attr("strides", (long) stride, stride));
    }

    public String globalAveragePool(String name, String x) {
        return node("GlobalAveragePool", name, List.of(x));
    }

    public String flatten(String name, String x) {
        return node("Flatten", name, List.of(x), attr("axis", 1L));
    }

    /** Gemm computing x·Wᵀ + b with PyTorch's [out, in] weight. */
    public String linear(String name, String x, String weight, String bias) {
        List<String> inputs = bias == null ? List.of(x, weight) : List.of(x, weight, bias);
        return node("Gemm", name, inputs, attr("transB", 1L));
    }

    public String add(String name, String a, String b) {
        return node("Add", name, List.of(a, b));
    }

    /** Concatenation along the channel axis (NCHW). */
    public String concatChannels(String name, List<String> xs) {
        return node("Concat", name, xs, attr("axis", 1L));
    }

    public String identity(String name, String x) {
        return node("Identity", name, List.of(x));
    }

    /**
     * Resize by integer-free scale factors on H and W, matching PyTorch: nearest is "asymmetric" + floor,
     * bilinear with align_corners=false is "half_pixel".
     */
    public String resize(String name, String x, float scaleH, float scaleW, boolean bilinear) {
        String scales = initializer(name + ".scales", new float[] {1f, 1f, scaleH, scaleW}, 4);
        if (bilinear) {
            return node("Resize", name, List.of(x, "", scales), attr("mode", "linear"),
                    attr("coordinate_transformation_mode", "half_pixel"));
        }
        return node("Resize", name, List.of(x, "", scales), attr("mode", "nearest"),
                attr("coordinate_transformation_mode", "asymmetric"), attr("nearest_mode", "floor"));
    }

    /**
     * Resize to the exact spatial size of {@code sizeOf} (a skip connection's tensor), keeping this
     * tensor's batch and channels: sizes = Shape(x)[0:2] ++ Shape(sizeOf)[2:4].
     */
    public String resizeLike(String name, String x, String sizeOf, boolean bilinear) {
        String xShape = node("Shape", name + ".x_shape", List.of(x));
        String refShape = node("Shape", name + ".ref_shape", List.of(sizeOf));
        String nc = node("Slice", name + ".nc", List.of(xShape, int64s(name + ".s0", 0), int64s(name + ".e0", 2)));
        String hw = node("Slice", name + ".hw", List.of(refShape, int64s(name + ".s1", 2), int64s(name + ".e1", 4)));
        String sizes = node("Concat", name + ".sizes", List.of(nc, hw), attr("axis", 0L));
        if (bilinear) {
            return node("Resize", name, List.of(x, "", "", sizes), attr("mode", "linear"),
                    attr("coordinate_transformation_mode", "half_pixel"));
        }
        return node("Resize", name, List.of(x, "", "", sizes), attr("mode", "nearest"),
                attr("coordinate_transformation_mode", "asymmetric"), attr("nearest_mode", "floor"));
    }

    /** The whole model: this graph, opset {@link #OPSET}, and who produced it. */
    public ModelProto model(String producer) {
        return ModelProto.newBuilder()
                .setIrVersion(7) // IR 7 goes with opset 13 and loads in every ONNX Runtime since 1.6
                .setProducerName(producer)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph)
                .build();
    }

    /** Writes the model to {@code file} atomically (a failed write leaves no broken file). */
    public void write(Path file, String producer) throws IOException {
        AtomicFiles.write(file, out -> model(producer).writeTo(out));
    }

    private String unique(String name) {
        String candidate = name;
        for (int i = 1; !names.add(candidate); i++) {
            candidate = name + "_" + i;
        }
        return candidate;
    }

    private static ValueInfoProto valueInfo(String name, int[] shape) {
        TypeProto.Tensor.Builder type = TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber());
        if (shape != null) {
            TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
            for (int d : shape) {
                s.addDim(d >= 1 ? TensorShapeProto.Dimension.newBuilder().setDimValue(d)
                        : TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH));
            }
            type.setShape(s);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(type)).build();
    }
}
