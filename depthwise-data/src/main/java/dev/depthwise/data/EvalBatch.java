package dev.depthwise.data;

import java.util.List;

/** An evaluation batch (not augmented) with each image's size before resizing, for masks at full resolution. */
public record EvalBatch(Batch batch, List<ImageSize> originalSizes) {
    /** Width and height in pixels. */
    public record ImageSize(int width, int height) {
    }
}
