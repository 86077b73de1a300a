package dev.depthwise.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.Activation;
import dev.depthwise.engine.op.ActivationOp;
import dev.depthwise.engine.op.BatchNormOp;
import dev.depthwise.engine.op.ConvOp;
import dev.depthwise.engine.op.ConvSpec;
import dev.depthwise.engine.op.ElementwiseOp;
import dev.depthwise.engine.op.LossOp;
import dev.depthwise.engine.op.PoolOp;
import dev.depthwise.engine.op.WinogradConv;
import dev.depthwise.engine.op.WinogradPolicy;
import org.junit.jupiter.api.Test;

/**
 * The small network of make_golden.py, composed from engine ops by hand, against PyTorch in training mode
 * (every intermediate, the loss, every parameter gradient, the updated running statistics) and in eval
 * mode. Input 2x3x9x11: the odd sizes make the pool drop a row and a column that unpool restores as zeros.
 *
 * <pre>
 * a1 = relu(bn1(conv1(x)))  pooled, indices = maxpool2x2(a1)  a2 = relu(bn2(conv2(pooled)))
 * residual = a2 + pooled    unpooled = maxunpool(residual, indices)  logits = classifier(unpooled)
 * loss = cross_entropy(logits, target)
 * </pre>
 */
class SmallNetworkGoldenTest {
    private static final ConvSpec CONV1 = ConvSpec.of(3, 6, 3, 1, 1, 1);
    private static final ConvSpec CONV2 = ConvSpec.of(6, 6, 3, 1, 1, 1);
    private static final ConvSpec CLASSIFIER = ConvSpec.of(6, 3, 3, 1, 1, 1);

    /** Every activation of one forward pass, kept for the backward pass. */
    private static final class Pass {
        final Golden g;
        final boolean training;
        final float momentum;
        final float eps;
        /** The Winograd tile every conv runs as in inference's prepared op, or null for {@link ConvOp}. */
        WinogradConv.Tile winograd;
        /** Which convs {@link ConvOp} runs as Winograd convs, forward and backward. */
        WinogradPolicy policy = WinogradPolicy.NEVER;
        Tensor x;
        Tensor c1;
        Tensor b1;
        Tensor a1;
        Tensor pooled;
        int[] indices;
        Tensor c2;
        Tensor b2;
        Tensor a2;
        Tensor residual;
        Tensor unpooled;
        Tensor logits;
        final float[][] saveMean = new float[2][6];
        final float[][] saveInvStd = new float[2][6];
        final float[][] runningMean = new float[2][];
        final float[][] runningVar = new float[2][];

        Pass(Golden g, boolean training) {
            this.g = g;
            this.training = training;
            this.momentum = training ? g.floatMeta("momentum") : 0f;
            this.eps = g.floatMeta("eps");
            for (int i = 0; i < 2; i++) {
                runningMean[i] = g.array("param.bn" + (i + 1) + ".running_mean");
                runningVar[i] = g.array("param.bn" + (i + 1) + ".running_var");
            }
        }

        float forward() {
            x = g.tensor("x");
            c1 = Tensor.zeros(CONV1.outputShape(x.shape()));
            conv(CONV1, x, g.tensor("param.conv1.weight"), null, c1);
            b1 = batchNorm(0, c1);
            a1 = Tensor.zeros(b1.shape());
            ActivationOp.relu(b1, a1);

            pooled = Tensor.zeros(PoolOp.maxPoolOutputShape(a1.shape(), 2, 2));
            indices = new int[pooled.size()];
            PoolOp.maxPool(a1, 2, 2, pooled, indices);

            c2 = Tensor.zeros(CONV2.outputShape(pooled.shape()));
            conv(CONV2, pooled, g.tensor("param.conv2.weight"), null, c2);
            b2 = batchNorm(1, c2);
            a2 = Tensor.zeros(b2.shape());
            ActivationOp.relu(b2, a2);

            residual = Tensor.zeros(a2.shape());
            ElementwiseOp.add(a2, pooled, residual);
            unpooled = Tensor.zeros(a1.shape());
            PoolOp.maxUnpool(residual, indices, unpooled);
            logits = Tensor.zeros(CLASSIFIER.outputShape(unpooled.shape()));
            conv(CLASSIFIER, unpooled, g.tensor("param.classifier.weight"), g.tensor("param.classifier.bias"),
                    logits);
            return LossOp.crossEntropy(logits, g.ints("target"), null, -100, null);
        }

        private void conv(ConvSpec spec, Tensor in, Tensor weight, Tensor bias, Tensor out) {
            if (winograd == null) {
                ConvOp.forward(spec, in, weight, bias, out, policy);
            } else {
                WinogradConv.prepare(spec, winograd, in, weight, bias, out, Activation.NONE).run();
            }
        }

        private Tensor batchNorm(int i, Tensor in) {
            String bn = "param.bn" + (i + 1);
            Tensor out = Tensor.zeros(in.shape());
            if (training) {
                BatchNormOp.forwardTrain(in, g.array(bn + ".weight"), g.array(bn + ".bias"), runningMean[i],
                        runningVar[i], momentum, eps, out, saveMean[i], saveInvStd[i]);
            } else {
                BatchNormOp.forwardEval(in, g.array(bn + ".weight"), g.array(bn + ".bias"), runningMean[i],
                        runningVar[i], eps, out);
            }
            return out;
        }

        void assertActivations() {
            g.assertClose("a1", a1);
            g.assertClose("pooled", pooled);
            assertArrayEquals(g.ints("indices"), indices, "pool indices");
            g.assertClose("a2", a2);
            g.assertClose("residual", residual);
            g.assertClose("unpooled", unpooled);
            g.assertClose("logits", logits);
        }
    }

    @Test
    void trainingStepMatchesPyTorch() {
        trainingStep(WinogradPolicy.NEVER);
    }

    /** Every conv of the training step, forward, input and weight gradients, as a Winograd conv, both tiles. */
    @Test
    void trainingStepMatchesPyTorchWithWinogradConvs() {
        for (WinogradConv.Tile tile : WinogradConv.Tile.values()) {
            trainingStep(WinogradPolicy.always(tile));
        }
    }

    private static void trainingStep(WinogradPolicy policy) {
        Golden g = Golden.load("net_train");
        Pass p = new Pass(g, true);
        p.policy = policy;
        p.forward();
        p.assertActivations();

        Tensor gradLogits = Tensor.zeros(p.logits.shape());
        float loss = LossOp.crossEntropy(p.logits, g.ints("target"), null, -100, gradLogits);
        g.assertClose("loss", loss);

        Tensor gradUnpooled = Tensor.zeros(p.unpooled.shape());
        Tensor gradClassifierW = g.zerosLike("grad.classifier.weight");
        Tensor gradClassifierB = g.zerosLike("grad.classifier.bias");
        ConvOp.backward(CLASSIFIER, p.unpooled, g.tensor("param.classifier.weight"), gradLogits, gradUnpooled,
                gradClassifierW, gradClassifierB, policy);
        Tensor gradResidual = Tensor.zeros(p.residual.shape());
        PoolOp.maxUnpoolBackward(gradUnpooled, p.indices, gradResidual);

        // The residual's gradient flows both into the second block and straight back to the pool output.
        Tensor gradB2 = Tensor.zeros(p.b2.shape());
        ActivationOp.reluBackward(p.b2, gradResidual, gradB2);
        Tensor gradC2 = Tensor.zeros(p.c2.shape());
        float[] gradGamma2 = new float[6];
        float[] gradBeta2 = new float[6];
        BatchNormOp.backward(p.c2, gradB2, g.array("param.bn2.weight"), p.saveMean[1], p.saveInvStd[1], gradC2,
                gradGamma2, gradBeta2);
        Tensor gradPooledConv = Tensor.zeros(p.pooled.shape());
        Tensor gradConv2W = g.zerosLike("grad.conv2.weight");
        ConvOp.backward(CONV2, p.pooled, g.tensor("param.conv2.weight"), gradC2, gradPooledConv, gradConv2W, null,
                policy);
        Tensor gradPooled = Tensor.zeros(p.pooled.shape());
        ElementwiseOp.add(gradPooledConv, gradResidual, gradPooled);

        Tensor gradA1 = Tensor.zeros(p.a1.shape());
        PoolOp.maxPoolBackward(gradPooled, p.indices, gradA1);
        Tensor gradB1 = Tensor.zeros(p.b1.shape());
        ActivationOp.reluBackward(p.b1, gradA1, gradB1);
        Tensor gradC1 = Tensor.zeros(p.c1.shape());
        float[] gradGamma1 = new float[6];
        float[] gradBeta1 = new float[6];
        BatchNormOp.backward(p.c1, gradB1, g.array("param.bn1.weight"), p.saveMean[0], p.saveInvStd[0], gradC1,
                gradGamma1, gradBeta1);
        Tensor gradConv1W = g.zerosLike("grad.conv1.weight");
        ConvOp.backward(CONV1, p.x, g.tensor("param.conv1.weight"), gradC1, null, gradConv1W, null, policy);

        g.assertClose("grad.classifier.weight", gradClassifierW);
        g.assertClose("grad.classifier.bias", gradClassifierB);
        g.assertClose("grad.bn2.weight", gradGamma2);
        g.assertClose("grad.bn2.bias", gradBeta2);
        g.assertClose("grad.conv2.weight", gradConv2W);
        g.assertClose("grad.bn1.weight", gradGamma1);
        g.assertClose("grad.bn1.bias", gradBeta1);
        g.assertClose("grad.conv1.weight", gradConv1W);

        g.assertClose("after.bn1.running_mean", p.runningMean[0]);
        g.assertClose("after.bn1.running_var", p.runningVar[0]);
        g.assertClose("after.bn2.running_mean", p.runningMean[1]);
        g.assertClose("after.bn2.running_var", p.runningVar[1]);
    }

    @Test
    void evalModeMatchesPyTorch() {
        Golden g = Golden.load("net_eval");
        Pass p = new Pass(g, false);
        float loss = p.forward();
        p.assertActivations();
        g.assertClose("loss", loss);
    }

    /** Every conv of the eval pass as a Winograd conv, both tiles: PyTorch's values within the golden tolerance. */
    @Test
    void evalModeMatchesPyTorchWithWinogradConvs() {
        Golden g = Golden.load("net_eval");
        for (WinogradConv.Tile tile : WinogradConv.Tile.values()) {
            Pass p = new Pass(g, false);
            p.winograd = tile;
            float loss = p.forward();
            p.assertActivations();
            g.assertClose("loss", loss);
        }
    }
}
