package dev.depthwise.data;

import dev.depthwise.engine.Tensor;
import java.util.List;

/**
 * A training or evaluation batch: images {@code [N, 3, S, S]} as floats in [0, 1], masks as N*S*S class
 * indices (row-major per image, {@link Mask#PET}, {@link Mask#BACKGROUND}, {@link Mask#BORDER}), and the
 * sample names in batch order. N may be smaller than the batch size (the last batch, or skipped bad files).
 */
public record Batch(Tensor images, int[] masks, List<String> names) {
    public Batch {
        if (images.rank() != 4 || images.dim(1) != 3 || names.size() != images.n()
                || masks.length != images.n() * images.dim(2) * images.dim(3)) {
            throw new IllegalArgumentException("Batch: images " + images.shapeString() + ", " + masks.length
                    + " mask values and " + names.size() + " names do not agree (expected [N,3,H,W], N*H*W, N)");
        }
    }

    public int size() {
        return images.n();
    }
}
