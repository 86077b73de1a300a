package dev.depthwise.data;

/**
 * A per-pixel class map, row-major, one byte per pixel holding a class index
 * ({@link #PET}, {@link #BACKGROUND} or {@link #BORDER}).
 */
public record Mask(int width, int height, byte[] classes) {
    /** Trimap value 1. */
    public static final int PET = 0;
    /** Trimap value 2. */
    public static final int BACKGROUND = 1;
    /** Trimap value 3, the "not classified" band around the pet's outline. */
    public static final int BORDER = 2;
    public static final int NUM_CLASSES = 3;

    public Mask {
        if (width <= 0 || height <= 0 || classes.length != width * height) {
            throw new IllegalArgumentException("Mask " + width + "x" + height + " needs "
                    + (long) width * height + " bytes, got " + classes.length);
        }
    }

    public int get(int x, int y) {
        return classes[y * width + x];
    }
}
