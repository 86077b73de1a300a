package dev.depthwise.data;

/**
 * What an image file declares before its pixels: the format its bytes are in ({@code "jpeg"}, {@code "png"},
 * {@code "gif"}, {@code "bmp"}) and its size. Read by {@link ImageDecoder#probe(java.nio.file.Path)} without decoding.
 */
public record ImageHeader(String format, int width, int height) {
    public long pixels() {
        return (long) width * height;
    }
}
