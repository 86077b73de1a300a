package dev.depthwise.train;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.LossOp;

import java.util.Locale;

/** The training losses by command-line name, both computed by the engine's {@link LossOp}. */
public enum Loss {
    /** Per-pixel cross-entropy, mean over pixels (the article's default). */
    CE,
    /** The article's soft-IoU loss: −log of the mean soft IoU over the batch. */
    IOU;

    public static Loss of(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "ce", "cross-entropy", "cross_entropy" -> CE;
            case "iou", "soft-iou", "soft_iou" -> IOU;
            default -> throw new IllegalArgumentException("unknown loss '" + name + "' (ce, iou)");
        };
    }

    /** The loss of {@code logits} [N, C, H, W] against {@code target}; writes d loss / d logits into {@code grad} if not null. */
    public float value(Tensor logits, int[] target, Tensor grad) {
        return switch (this) {
            case CE -> LossOp.crossEntropy(logits, target, null, -100, grad);
            case IOU -> LossOp.softIoU(logits, target, grad);
        };
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
