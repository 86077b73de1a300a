package dev.depthwise.io.onnx;

import dev.depthwise.models.InvertedResidual;
import dev.depthwise.models.MobileNetV2;
import dev.depthwise.models.MobileNetV2Segmenter;
import dev.depthwise.models.SegNet;
import dev.depthwise.nn.Module;

import java.util.ArrayList;
import java.util.List;

/**
 * Exporters for our models' own blocks, whose forward is not "children in order". Each reads the block
 * by its public accessors or its children's names (the state-dict names), never by its private fields.
 */
final class ModelExporters {
    /** MobileNetV2Segmenter's skip taps (strides 2, 4, 8, 16), as in its documentation. */
    private static final int[] SEGMENTER_SKIP_BLOCKS = {1, 3, 6, 13};
    private static final String[] SEGMENTER_UP_BLOCKS = {"up16", "up8", "up4", "up2"};

    private ModelExporters() {
    }

    static void registerAll() {
        OnnxExporter.register(InvertedResidual.class, ModelExporters::invertedResidual);
        OnnxExporter.register(MobileNetV2.class, ModelExporters::mobileNetV2);
        OnnxExporter.register(SegNet.class, ModelExporters::segNet);
        OnnxExporter.register(MobileNetV2Segmenter.class, ModelExporters::segmenter);
    }

    private static String invertedResidual(OnnxExporter e, String path, InvertedResidual block, String x) {
        String y = e.exportChildren(path, block, x);
        return block.usesResidual() ? e.graph().add(path + ".add", x, y) : y;
    }

    /**
     * torchvision pools and flattens functionally between features and classifier; the nodes take the names the
     * plan gives those steps ({@code MobileNetV2.lower}), so that {@code bench models --per-layer} pairs them.
     */
    private static String mobileNetV2(OnnxExporter e, String path, MobileNetV2 model, String x) {
        String f = e.exportModule(OnnxExporter.childPath(path, "features"), model.features(), x);
        String pooled = e.graph().globalAveragePool(OnnxExporter.childPath(path, "avgpool"), f);
        String flat = e.graph().flatten(OnnxExporter.childPath(path, "flatten"), pooled);
        return e.exportModule(OnnxExporter.childPath(path, "classifier"), model.classifier(), flat);
    }

    /**
     * bn_input, dc1..dc4 (seq then mp), uc4..uc1: an up stage runs its unpool ({@code mup}) before its convs
     * ({@code seq}), the reverse of the order they are registered (and printed) in, as the article's notebook.
     */
    private static String segNet(OnnxExporter e, String path, SegNet model, String x) {
        for (var stage : model.children().entrySet()) {
            String stagePath = OnnxExporter.childPath(path, stage.getKey());
            Module m = stage.getValue();
            if (m.children().containsKey("mup")) {
                x = e.exportModule(stagePath + ".mup", m.children().get("mup"), x);
                x = e.exportModule(stagePath + ".seq", m.children().get("seq"), x);
            } else if (m.children().containsKey("mp")) {
                x = e.exportChildren(stagePath, m, x);
            } else {
                x = e.exportModule(stagePath, m, x);
            }
        }
        return x;
    }

    /** Encoder with skip taps; each up block upsamples, concatenates its skip, convolves; then the head. */
    private static String segmenter(OnnxExporter e, String path, MobileNetV2Segmenter model, String x) {
        String featuresPath = OnnxExporter.childPath(path, "features");
        List<String> skips = new ArrayList<>();
        var blocks = model.features().children();
        int i = 0;
        for (var block : blocks.entrySet()) {
            x = e.exportModule(featuresPath + "." + block.getKey(), block.getValue(), x);
            if (skips.size() < SEGMENTER_SKIP_BLOCKS.length && i == SEGMENTER_SKIP_BLOCKS[skips.size()]) {
                skips.add(x);
            }
            i++;
        }
        for (int u = 0; u < SEGMENTER_UP_BLOCKS.length; u++) {
            String upPath = OnnxExporter.childPath(path, SEGMENTER_UP_BLOCKS[u]);
            Module up = model.children().get(SEGMENTER_UP_BLOCKS[u]);
            if (up == null) {
                throw new UnsupportedOperationException("ONNX export: " + model.typeName() + " has no block '"
                        + SEGMENTER_UP_BLOCKS[u] + "'; its exporter no longer matches the model");
            }
            String upsampled = e.exportModule(upPath + ".upsample", up.children().get("upsample"), x);
            String merged = e.graph().concatChannels(upPath + ".concat",
                    List.of(upsampled, skips.get(SEGMENTER_SKIP_BLOCKS.length - 1 - u)));
            x = e.exportModule(upPath + ".conv", up.children().get("conv"), merged);
        }
        return e.exportModule(OnnxExporter.childPath(path, "head"), model.children().get("head"), x);
    }
}
