package dev.depthwise.data;

/**
 * An 8-bit RGB image, row-major, channels interleaved ({@code rgb[(y*width+x)*3 + c]}).
 * Kept as bytes rather than floats: a cached dataset costs a quarter of the memory.
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width <= 0 || height <= 0 || rgb.length != width * height * 3) {
            throw new IllegalArgumentException("RgbImage " + width + "x" + height + " needs "
                    + (long) width * height * 3 + " bytes, got " + rgb.length);
        }
    }

    /** Channel {@code c} (0 red, 1 green, 2 blue) of pixel (x, y), 0..255. */
    public int get(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xff;
    }
}
