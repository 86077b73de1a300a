package dev.depthwise.data;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The image decoders' front door (format sniffing, header and pixel limits, the wholeness checks, the readers, a
 * JPEG's EXIF orientation)
 * on any bytes: a decoded image within the limits, or a {@link BadFileException} naming the bytes in one line;
 * never another exception, never a decode of more pixels than allowed.
 *
 * <p>Jazzer rather than jqwik: its coverage feedback steers inputs through our own structure walkers
 * ({@link ImageStructure}), where random property inputs would rarely get past a signature check. With
 * {@code mvn test} it replays the committed corpus in {@code ImageDecoderFuzzTestInputs/}; the README's "Bad
 * input" section says how to fuzz longer.
 */
class ImageDecoderFuzzTest {
    /** Small, so that a fuzzed header cannot make a test run decode hundreds of megapixels. */
    private static final DecodeLimits LIMITS = new DecodeLimits(1 << 16);

    @FuzzTest(maxDuration = "30s")
    void anyBytesDecodeOrAreANamedBadFile(byte[] bytes) {
        try {
            RgbImage image = ImageDecoder.readPhoto(bytes, "fuzzed.jpg", LIMITS); // readRgb, then the EXIF orientation
            if ((long) image.width() * image.height() > LIMITS.maxPixels()) {
                throw new AssertionError("decoded " + image.width() + "x" + image.height() + " over the pixel limit");
            }
        } catch (BadFileException e) {
            FuzzChecks.oneLineNaming("fuzzed.jpg", e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void anyBytesReadAsATrimapOrAreANamedBadFile(byte[] bytes) {
        try {
            Mask mask = ImageDecoder.readTrimap(bytes, "fuzzed.png", LIMITS);
            for (byte c : mask.classes()) {
                if (c < 0 || c >= Mask.NUM_CLASSES) {
                    throw new AssertionError("class " + c + " outside 0-" + (Mask.NUM_CLASSES - 1));
                }
            }
        } catch (BadFileException e) {
            FuzzChecks.oneLineNaming("fuzzed.png", e);
        }
    }
}
