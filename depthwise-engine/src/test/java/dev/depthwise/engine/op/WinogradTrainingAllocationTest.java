package dev.depthwise.engine.op;

import dev.depthwise.engine.ChildJvmAllocation;
import dev.depthwise.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * Training's Winograd convs allocate nothing at steady state, on the calling thread or the pool's workers: the
 * forward, the input gradient (a Winograd forward of gradOut with the flipped weights) and the weight gradient
 * through {@link ConvOp}, one conv as the cost model chooses it (F(4×4), the choice included) and one with F(2×2), in
 * a JVM of its own ({@link #main}, started by {@link ChildJvmAllocation}). Vectors left boxed by C2 (a SegNet step
 * once allocated 14 GiB, docs/jvm-notes.md) or an object made on every call would keep every window above the bound.
 * The bias gradient is left out: it is direct convolution's code.
 */
class WinogradTrainingAllocationTest {
    /** Training steps per window. */
    private static final int WINDOW = 4;
    private static final int MIN_WINDOWS = 40;

    @Test
    void forwardAndGradientsAllocateNothing() throws Exception {
        ChildJvmAllocation.assertAllocatesNothing(WinogradTrainingAllocationTest.class);
    }

    /** The child JVM: prints {@link ChildJvmAllocation#measure}'s line for one step of each conv. */
    public static void main(String[] args) {
        Conv chosen = new Conv(ConvSpec.of(48, 48, 3, 1, 1, 1), 2, 24, WinogradPolicy.COST_MODEL, 1);
        if (WinogradPolicy.COST_MODEL.tile(chosen.spec, 2, 24, 24) != WinogradConv.Tile.F4) {
            throw new IllegalStateException("the cost model no longer chooses F4 for the conv under test");
        }
        Conv f2 = new Conv(ConvSpec.of(16, 16, 3, 1, 1, 1), 2, 12, WinogradPolicy.always(WinogradConv.Tile.F2), 2);
        System.out.println(ChildJvmAllocation.measure(() -> {
            chosen.step();
            f2.step();
        }, WINDOW, MIN_WINDOWS));
    }

    /** One conv's tensors and a training step on them: the forward, then the input and weight gradients. */
    private static final class Conv {
        final ConvSpec spec;
        final WinogradPolicy policy;
        final Tensor x, weight, bias, out, gradOut, gradX, gradW;

        Conv(ConvSpec spec, int n, int size, WinogradPolicy policy, long seed) {
            this.spec = spec;
            this.policy = policy;
            Random r = new Random(seed);
            int[] xShape = {n, spec.inChannels(), size, size};
            int[] outShape = spec.outputShape(xShape);
            x = new Tensor(Tensors.gaussian(r, n * spec.inChannels() * size * size), xShape);
            weight = new Tensor(Tensors.gaussian(r, spec.outChannels() * spec.inChannels() * 9), spec.weightShape());
            bias = new Tensor(Tensors.gaussian(r, spec.outChannels()), spec.outChannels());
            out = Tensor.zeros(outShape);
            gradOut = new Tensor(Tensors.gaussian(r, out.size()), outShape);
            gradX = Tensor.zeros(xShape);
            gradW = Tensor.zeros(spec.weightShape());
        }

        void step() {
            ConvOp.forward(spec, x, weight, bias, out, policy);
            ConvOp.backward(spec, x, weight, gradOut, gradX, gradW, null, policy);
        }
    }
}
