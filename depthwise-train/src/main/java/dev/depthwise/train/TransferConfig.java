package dev.depthwise.train;

import java.io.Serializable;

/**
 * Where a run's weights start, when not from its seed: transfer learning and fine-tuning.
 *
 * @param encoderWeights      a torchvision MobileNetV2 state dict ({@code .pth} or safetensors) loaded into the
 *                            encoder of {@code mobilenet_v2_seg}, or null
 * @param freezeEncoderEpochs the first epochs during which the encoder's parameters are not updated (its
 *                            BatchNorm statistics still follow the data, as PyTorch's {@code requires_grad_(False)})
 * @param init                a training checkpoint to start from, or null; its head is re-initialised when its
 *                            class count differs from the data's
 */
public record TransferConfig(String encoderWeights, int freezeEncoderEpochs, String init) implements Serializable {
    /** From the seed alone. */
    public static final TransferConfig NONE = new TransferConfig(null, 0, null);

    public TransferConfig {
        if (freezeEncoderEpochs < 0) {
            throw new IllegalArgumentException("--freeze-encoder-epochs must be >= 0, got " + freezeEncoderEpochs);
        }
        if (encoderWeights != null && init != null) {
            throw new IllegalArgumentException("give --encoder-weights or --init, not both (--init loads the whole model)");
        }
    }
}
