package dev.depthwise.serve;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.depthwise.data.RgbImage;

/**
 * The server's front door for uploads ({@link UploadDecoder}: the header read and checked, then the decode) on any
 * bytes: an image within the pixel limit, or a refusal the server sends as 400 (not an image) or 413 (too many
 * pixels) with one line naming the upload; never another status, another exception or a decode over the limit.
 * {@code mvn test} replays the corpus in {@code UploadDecoderFuzzTestInputs/}; {@code scripts/fuzz} fuzzes it.
 */
class UploadDecoderFuzzTest {
    /** Small, so that a fuzzed header cannot make a test run decode hundreds of megapixels. */
    private static final long MAX_PIXELS = 1 << 16;
    private static final String NAME = "upload.jpg";

    @FuzzTest(maxDuration = "30s")
    void anyUploadDecodesOrIsRefusedWith400Or413(byte[] bytes) {
        try {
            RgbImage image = UploadDecoder.decode(bytes, NAME, MAX_PIXELS);
            if ((long) image.width() * image.height() > MAX_PIXELS) {
                throw new AssertionError("decoded " + image.width() + "x" + image.height() + " over the pixel limit");
            }
        } catch (ApiException e) {
            String message = e.getMessage();
            if (e.status != 400 && e.status != 413) {
                throw new AssertionError("status " + e.status + " for an upload: " + message, e);
            }
            if (message == null || !message.startsWith(NAME + ": ") || message.contains("\n") || message.contains("\r")) {
                throw new AssertionError("not one line naming " + NAME + ": " + message, e);
            }
        }
    }
}
