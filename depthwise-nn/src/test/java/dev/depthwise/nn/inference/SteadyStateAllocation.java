package dev.depthwise.nn.inference;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.models.MobileNetV2;
import dev.depthwise.models.MobileNetV2Segmenter;
import dev.depthwise.models.SegNet;
import dev.depthwise.nn.Module;

import java.util.Arrays;

/**
 * The child JVM of {@link InferenceAllocationTest}: compiles one model's plan, runs it in windows of calls until a
 * window allocates nothing (or the time is up) and prints one line, {@code windows W millis M best B zero Z}.
 *
 * <p>Usage: {@code SteadyStateAllocation mobilenet_v2|segnet_dsc|segmenter}.
 */
public final class SteadyStateAllocation {
    static final int WINDOW = 50;
    private static final int MIN_WINDOWS = 80;
    /**
     * Windows go on until this long has passed too, since C2 compiles in the background and 80 windows of a small
     * model take only about a second on a loaded machine (the rarely run kernels reach C2 last, docs/jvm-notes.md).
     */
    private static final long MIN_NANOS = 30_000_000_000L;
    /** Per window, beyond what reading the counters costs: less than one object per call can hide in it. */
    static final long SLACK_BYTES = 64;

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
        long best = Long.MAX_VALUE;
        long start = System.nanoTime();
        int windows = 0;
        boolean zero = false;
        while (!zero && (windows < MIN_WINDOWS || System.nanoTime() - start < MIN_NANOS)) {
            // What one reading of the counters allocates, taken beside each window: it changes as the JIT compiles
            // the reading itself (816 or 976 bytes seen), as WinogradTrainingAllocationTest found.
            long first = Parallel.allocatedBytes();
            long before = Parallel.allocatedBytes();
            for (int i = 0; i < WINDOW; i++) {
                plan.runReusingOutput(x);
            }
            long allocated = Parallel.allocatedBytes() - before - (before - first);
            best = Math.min(best, allocated);
            zero = allocated <= SLACK_BYTES;
            windows++;
        }
        return "windows " + windows + " millis " + (System.nanoTime() - start) / 1_000_000 + " best " + best
                + " zero " + zero + " shape " + Arrays.toString(shape);
    }
}
