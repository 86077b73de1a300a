package dev.depthwise.models;

import dev.depthwise.nn.Module;

import java.util.List;

/** The model registry: a name and options to a fresh, initialised model. Used by the CLI, training and checkpoints. */
public final class Models {
    public static final String MOBILENET_V2 = "mobilenet_v2";
    public static final String SEGNET = "segnet";
    public static final String SEGNET_DSC = "segnet_dsc";
    public static final String MOBILENET_V2_SEG = "mobilenet_v2_seg";
    public static final List<String> NAMES = List.of(MOBILENET_V2, SEGNET, SEGNET_DSC, MOBILENET_V2_SEG);

    /** MobileNetV2's classifier dropout, torchvision's default. */
    public static final float MOBILENET_V2_DROPOUT = 0.2f;

    private Models() {
    }

    /** A model with its default options ({@link ModelSpec#of}). */
    public static Module create(String name) {
        return create(ModelSpec.of(name));
    }

    public static Module create(ModelSpec spec) {
        return switch (spec.name()) {
            case MOBILENET_V2 -> new MobileNetV2(spec.classes(), spec.width(), MOBILENET_V2_DROPOUT, spec.seed());
            case SEGNET -> new SegNet(SegNet.ConvKind.REGULAR, spec.classes(), spec.plainHead(), spec.seed());
            case SEGNET_DSC -> new SegNet(SegNet.ConvKind.DEPTHWISE_SEPARABLE, spec.classes(), spec.plainHead(),
                    spec.seed());
            case MOBILENET_V2_SEG -> new MobileNetV2Segmenter(spec.classes(), spec.width(), spec.seed());
            default -> throw new IllegalStateException("unreachable: " + spec.name());
        };
    }

    static void checkName(String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known models: " + String.join(", ", NAMES));
        }
    }
}
