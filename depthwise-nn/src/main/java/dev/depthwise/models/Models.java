package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
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

    /**
     * Runs {@code model} once on a zero image of {@code [1, c, h, w]} in eval mode (its mode is restored): an input
     * the model cannot take (wrong channel count, too small, a size not a multiple of what its pools need) is an
     * {@link IllegalArgumentException} saying so before any work starts, not an error deep inside a layer later.
     */
    public static void checkInput(Module model, int c, int h, int w) {
        String shape = "[batch, " + c + ", " + h + ", " + w + "]";
        if (c < 1 || h < 1 || w < 1) {
            throw new IllegalArgumentException("input " + shape + " must have positive sizes");
        }
        boolean wasTraining = model.isTraining();
        try {
            model.eval();
            model.forward(Tensor.zeros(1, c, h, w));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the model does not take input " + shape + ": " + e.getMessage(), e);
        } finally {
            model.train(wasTraining);
        }
    }

    static void checkName(String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known models: " + String.join(", ", NAMES));
        }
    }
}
