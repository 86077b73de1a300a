package dev.depthwise.data;

/**
 * What a decoder accepts before it spends memory on pixels.
 *
 * @param maxPixels the most pixels (width x height, from the header) an image may declare; a file over it is
 *                  a {@link BadFileException} found before decoding. The default of 100 million is PIL's order
 *                  of magnitude ({@code Image.MAX_IMAGE_PIXELS} is about 89 million) and decodes in about
 *                  700 MB (the decoded raster plus the 8-bit RGB copy).
 *                  Serializable: Spark's jobs send it to their executors.
 */
public record DecodeLimits(long maxPixels) implements java.io.Serializable {
    public static final long DEFAULT_MAX_PIXELS = 100_000_000L;
    public static final DecodeLimits DEFAULT = new DecodeLimits(DEFAULT_MAX_PIXELS);

    public DecodeLimits {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("max pixels must be >= 1, got " + maxPixels);
        }
    }

    /** Whether an image of this header may be decoded. */
    public boolean allows(ImageHeader header) {
        return header.pixels() <= maxPixels;
    }
}
