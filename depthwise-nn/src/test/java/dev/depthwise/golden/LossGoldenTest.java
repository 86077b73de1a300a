package dev.depthwise.golden;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.LossOp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Cross-entropy (plain, weighted with an ignored label, [N, C], 5 classes with 255s), soft-IoU and Dice (with 255s) and softmax against PyTorch. */
class LossGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"cross_entropy", "cross_entropy_weighted_ignore", "cross_entropy_2d",
            "cross_entropy_5class_ignore"})
    void crossEntropy(String name) {
        Golden g = Golden.load("ops/" + name);
        float[] classWeights = name.contains("weighted") ? g.array("class_weights") : null;
        Tensor grad = g.nanLike("grad_logits");
        float loss = LossOp.crossEntropy(g.tensor("logits"), g.ints("target"), classWeights,
                g.intMeta("ignore_index"), grad);
        g.assertClose("loss", loss);
        g.assertClose("grad_logits", grad);

        float lossOnly = LossOp.crossEntropy(g.tensor("logits"), g.ints("target"), classWeights,
                g.intMeta("ignore_index"), null);
        g.assertClose("loss", lossOnly);
    }

    @Test
    void softIoU() {
        Golden g = Golden.load("ops/soft_iou");
        Tensor grad = g.nanLike("grad_logits");
        float loss = LossOp.softIoU(g.tensor("logits"), g.ints("target"), grad);
        g.assertClose("loss", loss);
        g.assertClose("grad_logits", grad);
    }

    @ParameterizedTest
    @ValueSource(strings = {"soft_iou_5class_ignore", "dice_5class_ignore"})
    void lossesWithIgnoredPixels(String name) {
        Golden g = Golden.load("ops/" + name);
        Tensor grad = g.nanLike("grad_logits");
        int ignore = g.intMeta("ignore_index");
        float loss = name.startsWith("dice") ? LossOp.dice(g.tensor("logits"), g.ints("target"), ignore, grad)
                : LossOp.softIoU(g.tensor("logits"), g.ints("target"), ignore, grad);
        g.assertClose("loss", loss);
        g.assertClose("grad_logits", grad);
    }

    @Test
    void softmaxOverChannels() {
        Golden g = Golden.load("ops/soft_iou");
        Tensor probs = g.nanLike("probs");
        LossOp.softmax(g.tensor("logits"), probs);
        g.assertClose("probs", probs);
    }
}
