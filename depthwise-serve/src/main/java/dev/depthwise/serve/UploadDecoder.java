package dev.depthwise.serve;

import dev.depthwise.data.BadFileException;
import dev.depthwise.data.ImageDecoder;
import dev.depthwise.data.RgbImage;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Decodes an upload, reading its size from the header first so that a decompression bomb (a small file declaring a
 * huge image) is refused before any pixel memory is taken. Converts to RGB as the command line does
 * ({@link ImageDecoder#toRgb}).
 */
final class UploadDecoder {
    private UploadDecoder() {
    }

    /** @throws ApiException 400 for anything that is not a readable image, 413 above {@code maxPixels} */
    static RgbImage decode(byte[] bytes, String name, long maxPixels) {
        if (bytes.length == 0) {
            throw new ApiException(400, name + ": empty upload, not an image");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ApiException(400, name + ": not an image in a supported format (JPEG, PNG, GIF, BMP)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width * height > maxPixels) {
                    throw new ApiException(413, name + ": image " + width + "x" + height + " has more than the "
                            + maxPixels + " pixels allowed");
                }
                return ImageDecoder.toRgb(Path.of(name), reader.read(0));
            } finally {
                reader.dispose();
            }
        } catch (BadFileException e) {
            throw new ApiException(400, e.getMessage());
        } catch (IOException | RuntimeException e) {
            if (e instanceof ApiException api) {
                throw api;
            }
            throw new ApiException(400, name + ": corrupt image (" + e.getMessage() + ")");
        }
    }
}
