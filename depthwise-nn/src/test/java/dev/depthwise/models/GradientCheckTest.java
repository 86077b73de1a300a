package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.MaxPool2d;
import dev.depthwise.nn.MaxUnpool2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.Parameter;
import dev.depthwise.nn.ReLU;
import dev.depthwise.nn.Sequential;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Finite differences through a small net that composes every backward path the models use:
 * conv-BN-ReLU twice (so the buffers a Sequential shares between BN, ReLU and the next conv are exercised),
 * a max-pool and the unpool that reuses its indices, and an inverted residual with its skip add, depthwise
 * conv and ReLU6. In training mode, so BatchNorm's batch statistics are in the graph.
 */
class GradientCheckTest {
    static final class TinyNet extends Module {
        final Sequential stem = addModule("stem", new Sequential(
                new Conv2d(2, 4, 3, 1, 1, 1, false), new BatchNorm2d(4), new ReLU(),
                new Conv2d(4, 4, 3, 1, 1, 1, false), new BatchNorm2d(4), new ReLU()));
        final MaxPool2d pool = addModule("pool", new MaxPool2d(2));
        final InvertedResidual block = addModule("block", new InvertedResidual(4, 4, 1, 2));
        final MaxUnpool2d unpool = addModule("unpool", new MaxUnpool2d(pool));
        final Conv2d head = addModule("head", new Conv2d(4, 3, 1, 1, 0, 1, true));

        @Override
        protected Tensor computeForward(Tensor x) {
            return head.forward(unpool.forward(block.forward(pool.forward(stem.forward(x)))));
        }

        @Override
        protected Tensor computeBackward(Tensor g) {
            return stem.backward(pool.backward(block.backward(unpool.backward(head.backward(g)))));
        }
    }

    @Test
    void composedNetGradientsMatchFiniteDifferences() {
        TinyNet net = new TinyNet();
        net.resetParameters(new SplittableRandom(11));
        // Non-trivial BN affine parameters so their gradients are exercised.
        SplittableRandom r = new SplittableRandom(12);
        for (Parameter p : net.parameters()) {
            if (p.shape().length == 1) {
                for (int i = 0; i < p.size(); i++) {
                    p.value().data()[i] = (float) (0.5 + r.nextDouble());
                }
            }
        }
        Tensor x = Tensor.zeros(2, 2, 6, 6);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = (float) r.nextGaussian();
        }
        int[] outShape = net.forward(x).shape();
        float[] w = GradCheck.randomWeights(Tensor.zeros(outShape).size(), 13);

        net.zeroGrad();
        net.forward(x);
        Tensor gradOut = new Tensor(w.clone(), outShape);
        float[] gradX = net.backward(gradOut).data().clone();
        org.junit.jupiter.api.Assertions.assertArrayEquals(w, gradOut.data(), "backward must not touch the caller's gradient");
        Map<String, Parameter> params = net.namedParameters();

        java.util.function.DoubleSupplier loss = () -> GradCheck.weightedSum(net.forward(x).data(), w);
        GradCheck.check("d loss / d input", x.data(), gradX, loss, 40, 1, 1e-3f, 3e-2, 3e-3);
        // A weight moves every activation, so a larger step crosses ReLU and max-pool kinks; 3e-4 stays
        // clear of them here while float32 noise stays under the tolerance.
        for (String key : List.of("stem.0.weight", "stem.1.weight", "stem.1.bias", "stem.3.weight", "stem.4.weight",
                "block.conv.0.0.weight", "block.conv.1.0.weight", "block.conv.3.weight", "head.bias")) {
            Parameter p = params.get(key);
            GradCheck.check("d loss / d " + key, p.value().data(), p.grad().data().clone(), loss, 20, 2,
                    3e-4f, 3e-2, 3e-3);
        }
    }
}
