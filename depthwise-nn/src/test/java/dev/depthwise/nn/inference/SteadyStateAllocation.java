package dev.depthwise.nn.inference;

import dev.depthwise.engine.ChildJvmAllocation;
import dev.depthwise.engine.Tensor;
import dev.depthwise.models.MobileNetV2;
import dev.depthwise.models.MobileNetV2Segmenter;
import dev.depthwise.models.SegNet;
import dev.depthwise.nn.Module;

/**
 * The child JVM of {@link InferenceAllocationTest}: compiles one model's plan and prints
 * {@link ChildJvmAllocation#measure}'s line for its planned calls.
 *
 * <p>Usage: {@code SteadyStateAllocation mobilenet_v2|segnet_dsc|segmenter}.
 */
public final class SteadyStateAllocation {
    /** Planned calls per window. */
    private static final int WINDOW = 50;
    /** 80 windows of a small model take only about a second on a loaded machine; the 30 s minimum rules. */
    private static final int MIN_WINDOWS = 80;

    private SteadyStateAllocation() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: SteadyStateAllocation mobilenet_v2|segnet_dsc|segmenter");
        }
        System.out.println(run(args[0]));
    }

    static String run(String model) {
        return switch (model) {
            // Stem, expansion, depthwise stride 1 and 2, projection with fused residual, global pool, linear.
            case "mobilenet_v2" -> measure(new MobileNetV2(10, 0.35, 0.2f, 1), 1, 3, 64, 64);
            // Input BatchNorm, depthwise and pointwise convs, pools with indices, unpools.
            case "segnet_dsc" -> measure(new SegNet(SegNet.ConvKind.DEPTHWISE_SEPARABLE, 3, false, 2), 1, 3, 16, 16);
            // Skips, bilinear upsampling, channel concat, a conv head with bias.
            case "segmenter" -> measure(new MobileNetV2Segmenter(3, 0.35, 3), 1, 3, 64, 64);
            default -> throw new IllegalArgumentException("SteadyStateAllocation: unknown model '" + model + "'");
        };
    }

    private static String measure(Module model, int... shape) {
        InferenceModel plan = InferenceModel.compile(model, shape);
        Tensor x = InferenceModelTest.randomInput(3, shape);
        return ChildJvmAllocation.measure(() -> plan.runReusingOutput(x), WINDOW, MIN_WINDOWS);
    }
}
