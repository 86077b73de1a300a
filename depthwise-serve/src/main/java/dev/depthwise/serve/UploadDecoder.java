package dev.depthwise.serve;

import dev.depthwise.data.BadFileException;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.ImageDecoder;
import dev.depthwise.data.ImageHeader;
import dev.depthwise.data.RgbImage;

/**
 * Decodes an upload with the decoder every command uses ({@link ImageDecoder}: format by content, the header's
 * pixel count before any pixel, a cut-off file refused), telling a decompression bomb (413) from a bad image (400).
 */
final class UploadDecoder {
    private UploadDecoder() {
    }

    /** @throws ApiException 400 for anything that is not a readable, whole image, 413 above {@code maxPixels} */
    static RgbImage decode(byte[] bytes, String name, long maxPixels) {
        if (bytes.length == 0) {
            throw new ApiException(400, name + ": empty upload, not an image");
        }
        DecodeLimits limits = new DecodeLimits(maxPixels);
        try {
            ImageHeader header = ImageDecoder.probe(bytes, name);
            if (!limits.allows(header)) {
                throw new ApiException(413, name + ": image " + header.width() + "x" + header.height()
                        + " has more than the " + maxPixels + " pixels allowed");
            }
            return ImageDecoder.readPhoto(bytes, name, limits);
        } catch (BadFileException e) {
            throw new ApiException(400, e.getMessage());
        }
    }
}
