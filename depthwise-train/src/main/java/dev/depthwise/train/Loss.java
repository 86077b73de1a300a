package dev.depthwise.train;

import dev.depthwise.data.Mask;
import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.LossOp;

import java.util.Locale;

/** The training losses by command-line name, both computed by the engine's {@link LossOp}. */
public enum Loss {
    /** Per-pixel cross-entropy, mean over pixels (the article's default). */
    CE,
    /** The article's soft-IoU loss: −log of the mean soft IoU over the batch. */
    IOU,
    /** Cross-entropy plus the soft Dice loss (the small-data recipe's): Dice weighs thin classes as much as large ones. */
    CE_DICE;

    public static Loss of(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "ce", "cross-entropy", "cross_entropy" -> CE;
            case "iou", "soft-iou", "soft_iou" -> IOU;
            case "ce+dice", "ce_dice" -> CE_DICE;
            default -> throw new IllegalArgumentException("unknown loss '" + name + "' (ce, iou, ce+dice)");
        };
    }

    /**
     * The loss of {@code logits} [N, C, H, W] against {@code target}; writes d loss / d logits into {@code grad}
     * if not null. Pixels whose target is {@link Mask#IGNORE} change neither the loss nor the gradient.
     */
    public float value(Tensor logits, int[] target, Tensor grad) {
        return switch (this) {
            case CE -> LossOp.crossEntropy(logits, target, null, Mask.IGNORE, grad);
            case IOU -> LossOp.softIoU(logits, target, Mask.IGNORE, grad);
            case CE_DICE -> {
                float ce = LossOp.crossEntropy(logits, target, null, Mask.IGNORE, grad);
                Tensor diceGrad = grad == null ? null : Tensor.zeros(grad.shape());
                float dice = LossOp.dice(logits, target, Mask.IGNORE, diceGrad);
                if (grad != null) {
                    float[] g = grad.data();
                    float[] d = diceGrad.data();
                    for (int i = 0; i < g.length; i++) {
                        g[i] += d[i];
                    }
                }
                yield ce + dice;
            }
        };
    }

    public String cliName() {
        return this == CE_DICE ? "ce+dice" : name().toLowerCase(Locale.ROOT);
    }
}
