package dev.depthwise.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ActivationOp;
import dev.depthwise.engine.op.BatchNormOp;
import dev.depthwise.engine.op.ElementwiseOp;
import dev.depthwise.engine.op.LinearOp;
import dev.depthwise.engine.op.PoolOp;
import dev.depthwise.engine.op.UpsampleOp;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * BatchNorm, activations, pooling, Linear, upsampling, add and concat against PyTorch. Outputs and input
 * gradients start as NaN so an op that skips an element fails; parameter gradients start at zero.
 */
class LayerOpsGoldenTest {

    @Test
    void batchNormTraining() {
        Golden g = Golden.load("ops/batchnorm_train");
        Tensor x = g.tensor("x");
        float[] gamma = g.array("gamma");
        float[] runningMean = g.array("running_mean");
        float[] runningVar = g.array("running_var");
        int channels = gamma.length;
        float[] saveMean = new float[channels];
        float[] saveInvStd = new float[channels];
        Tensor out = g.nanLike("out");
        BatchNormOp.forwardTrain(x, gamma, g.array("beta"), runningMean, runningVar, g.floatMeta("momentum"),
                g.floatMeta("eps"), out, saveMean, saveInvStd);
        g.assertClose("out", out);
        g.assertClose("running_mean_after", runningMean);
        g.assertClose("running_var_after", runningVar);
        g.assertClose("save_mean", saveMean);
        g.assertClose("save_invstd", saveInvStd);

        Tensor gradX = g.nanLike("grad_x");
        float[] gradGamma = new float[channels];
        float[] gradBeta = new float[channels];
        BatchNormOp.backward(x, g.tensor("grad_out"), gamma, saveMean, saveInvStd, gradX, gradGamma, gradBeta);
        g.assertClose("grad_x", gradX);
        g.assertClose("grad_gamma", gradGamma);
        g.assertClose("grad_beta", gradBeta);

        BatchNormOp.backward(x, g.tensor("grad_out"), gamma, saveMean, saveInvStd, gradX, gradGamma, gradBeta);
        g.assertClose("grad_x", gradX);
        Golden.assertClose("batchnorm_train.grad_gamma accumulated twice", g.array("grad_gamma"), gradGamma, 2.0);
        Golden.assertClose("batchnorm_train.grad_beta accumulated twice", g.array("grad_beta"), gradBeta, 2.0);
    }

    @Test
    void batchNormEval() {
        Golden g = Golden.load("ops/batchnorm_eval");
        Tensor out = g.nanLike("out");
        BatchNormOp.forwardEval(g.tensor("x"), g.array("gamma"), g.array("beta"), g.array("running_mean"),
                g.array("running_var"), g.floatMeta("eps"), out);
        g.assertClose("out", out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "relu6"})
    void activations(String name) {
        Golden g = Golden.load("ops/" + name);
        boolean six = name.equals("relu6");
        Tensor x = g.tensor("x");
        Tensor out = g.nanLike("out");
        Tensor gradX = g.nanLike("grad_x");
        if (six) {
            ActivationOp.relu6(x, out);
            ActivationOp.relu6Backward(x, g.tensor("grad_out"), gradX);
        } else {
            ActivationOp.relu(x, out);
            ActivationOp.reluBackward(x, g.tensor("grad_out"), gradX);
        }
        g.assertClose("out", out);
        g.assertClose("grad_x", gradX);

        Tensor inPlace = g.tensor("x");
        if (six) {
            ActivationOp.relu6(inPlace, inPlace);
        } else {
            ActivationOp.relu(inPlace, inPlace);
        }
        g.assertClose("out", inPlace);
    }

    @Test
    void maxPoolWithIndicesOnOddSize() {
        Golden g = Golden.load("ops/maxpool");
        int kernel = g.intMeta("kernel");
        int stride = g.intMeta("stride");
        Tensor x = g.tensor("x");
        assertArrayEquals(g.tensor("out").shape(), PoolOp.maxPoolOutputShape(x.shape(), kernel, stride));
        Tensor out = g.nanLike("out");
        int[] indices = new int[out.size()];
        Arrays.fill(indices, -1);
        PoolOp.maxPool(x, kernel, stride, out, indices);
        g.assertClose("out", out);
        assertArrayEquals(g.ints("indices"), indices, "maxpool indices (flat h*W+w in the input plane)");

        Tensor gradX = g.nanLike("grad_x");
        PoolOp.maxPoolBackward(g.tensor("grad_out"), indices, gradX);
        g.assertClose("grad_x", gradX);
    }

    @Test
    void maxUnpoolToOddSize() {
        Golden g = Golden.load("ops/maxunpool");
        int[] indices = g.ints("indices");
        Tensor out = g.nanLike("out");
        PoolOp.maxUnpool(g.tensor("x"), indices, out);
        g.assertClose("out", out);

        Tensor gradX = g.nanLike("grad_x");
        PoolOp.maxUnpoolBackward(g.tensor("grad_out"), indices, gradX);
        g.assertClose("grad_x", gradX);
    }

    @Test
    void globalAveragePool() {
        Golden g = Golden.load("ops/global_avg_pool");
        Tensor out = g.nanLike("out");
        PoolOp.globalAvgPool(g.tensor("x"), out);
        g.assertClose("out", out);

        Tensor gradX = g.nanLike("grad_x");
        PoolOp.globalAvgPoolBackward(g.tensor("grad_out"), gradX);
        g.assertClose("grad_x", gradX);
    }

    @Test
    void linear() {
        Golden g = Golden.load("ops/linear");
        Tensor x = g.tensor("x");
        Tensor weight = g.tensor("weight");
        Tensor out = g.nanLike("out");
        LinearOp.forward(x, weight, g.tensor("bias"), out);
        g.assertClose("out", out);

        Tensor gradX = g.nanLike("grad_x");
        Tensor gradW = g.zerosLike("grad_weight");
        Tensor gradB = g.zerosLike("grad_bias");
        LinearOp.backward(x, weight, g.tensor("grad_out"), gradX, gradW, gradB);
        g.assertClose("grad_x", gradX);
        g.assertClose("grad_weight", gradW);
        g.assertClose("grad_bias", gradB);

        LinearOp.backward(x, weight, g.tensor("grad_out"), gradX, gradW, gradB);
        g.assertClose("grad_x", gradX);
        Golden.assertClose("linear.grad_weight accumulated twice", g.array("grad_weight"), gradW.data(), 2.0);
        Golden.assertClose("linear.grad_bias accumulated twice", g.array("grad_bias"), gradB.data(), 2.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"upsample_nearest_2x", "upsample_nearest_odd", "upsample_bilinear_2x",
            "upsample_bilinear_odd"})
    void upsampling(String name) {
        Golden g = Golden.load("ops/" + name);
        boolean bilinear = name.contains("bilinear");
        Tensor out = g.nanLike("out");
        Tensor gradX = g.nanLike("grad_x");
        if (bilinear) {
            UpsampleOp.bilinear(g.tensor("x"), out);
            UpsampleOp.bilinearBackward(g.tensor("grad_out"), gradX);
        } else {
            UpsampleOp.nearest(g.tensor("x"), out);
            UpsampleOp.nearestBackward(g.tensor("grad_out"), gradX);
        }
        g.assertClose("out", out);
        g.assertClose("grad_x", gradX);
    }

    @Test
    void concatAndSplitChannels() {
        Golden g = Golden.load("ops/concat");
        Tensor out = g.nanLike("out");
        ElementwiseOp.concatChannels(new Tensor[] {g.tensor("x0"), g.tensor("x1"), g.tensor("x2")}, out);
        g.assertClose("out", out);

        Tensor[] grads = {g.nanLike("grad_x0"), g.nanLike("grad_x1"), g.nanLike("grad_x2")};
        ElementwiseOp.splitChannels(g.tensor("grad_out"), grads);
        for (int i = 0; i < grads.length; i++) {
            g.assertClose("grad_x" + i, grads[i]);
        }
    }

    @Test
    void add() {
        Golden g = Golden.load("ops/add");
        Tensor out = g.nanLike("out");
        ElementwiseOp.add(g.tensor("a"), g.tensor("b"), out);
        g.assertClose("out", out);
    }
}
