package dev.depthwise.data;

/** How an image is resized. Masks are always resized with {@link #NEAREST}: class indices must not blend. */
public enum Interpolation {
    /** PyTorch's {@code interpolate(mode="nearest")}: source index floor(dst * in / out). The article's choice. */
    NEAREST,
    /** PyTorch's {@code interpolate(mode="bilinear", align_corners=False)}, no antialiasing, rounded to 8 bits (within one level of PyTorch's). */
    BILINEAR
}
