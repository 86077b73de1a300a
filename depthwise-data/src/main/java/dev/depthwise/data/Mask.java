package dev.depthwise.data;

/**
 * A per-pixel class map, row-major, one byte per pixel holding a class index 0..254 (read it with
 * {@link #get}, which undoes Java's signed bytes) or {@link #IGNORE}. The Oxford-IIIT Pet trimaps use
 * {@link #PET}, {@link #BACKGROUND} and {@link #BORDER}.
 */
public record Mask(int width, int height, byte[] classes) {
    /** Trimap value 1. */
    public static final int PET = 0;
    /** Trimap value 2. */
    public static final int BACKGROUND = 1;
    /** Trimap value 3, the "not classified" band around the pet's outline. */
    public static final int BORDER = 2;
    public static final int NUM_CLASSES = 3;
    /** A pixel no loss or metric counts (object boundaries in Pascal VOC, unlabelled areas), as PyTorch's ignore_index. */
    public static final int IGNORE = 255;
    /** At most this many classes fit a byte beside {@link #IGNORE}. */
    public static final int MAX_CLASSES = 255;

    public Mask {
        if (width <= 0 || height <= 0 || classes.length != width * height) {
            throw new IllegalArgumentException("Mask " + width + "x" + height + " needs "
                    + (long) width * height + " bytes, got " + classes.length);
        }
    }

    public int get(int x, int y) {
        return classes[y * width + x] & 0xff;
    }
}
