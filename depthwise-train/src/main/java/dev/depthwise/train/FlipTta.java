package dev.depthwise.train;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.inference.Predictor;

/**
 * Horizontal-flip test-time augmentation: the logits of the image and of its mirror image (mirrored back),
 * averaged. Segmentation is symmetric under the flip, so the two views disagree only where the model is
 * unsure, and their mean is the steadier answer.
 */
final class FlipTta {
    private FlipTta() {
    }

    /** The model's logits for {@code x} [N, C, H, W], averaged with those of the flipped input when {@code flip}. */
    static Tensor logits(Predictor predictor, Tensor x, boolean flip) {
        if (!flip) {
            return predictor.forward(x);
        }
        Tensor straight = predictor.forward(x).copy(); // the predictor reuses its output buffer
        Tensor mirrored = flipped(predictor.forward(flipped(x)));
        float[] a = straight.data();
        float[] b = mirrored.data();
        for (int i = 0; i < a.length; i++) {
            a[i] = (a[i] + b[i]) * 0.5f;
        }
        return straight;
    }

    /** A copy of {@code t} [N, C, H, W] mirrored left to right. */
    static Tensor flipped(Tensor t) {
        int w = t.w();
        int rows = t.size() / w;
        float[] src = t.data();
        float[] out = new float[src.length];
        for (int r = 0; r < rows; r++) {
            int base = r * w;
            for (int x = 0; x < w; x++) {
                out[base + w - 1 - x] = src[base + x];
            }
        }
        return new Tensor(out, t.shape());
    }
}
