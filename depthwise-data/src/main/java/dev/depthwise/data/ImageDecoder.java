package dev.depthwise.data;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.color.ColorSpace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads images by their content, never their extension: the Oxford-IIIT Pet set has PNG and GIF bytes
 * behind {@code .jpg} names. The JDK's readers handle PNG, GIF, BMP and plain JPEG; TwelveMonkeys'
 * JPEG reader (on the class path, found by ImageIO's service lookup) handles CMYK/YCCK JPEGs and broken
 * ICC profiles that the JDK rejects. Every failure becomes a {@link BadFileException} naming the file.
 */
public final class ImageDecoder {
    static {
        // Pick up readers from jars added after ImageIO first looked (a no-op when nothing is new).
        ImageIO.scanForPlugins();
        ImageIO.setUseCache(false); // decode in memory; no temp files
    }

    private ImageDecoder() {
    }

    /** Decodes any supported format to RGB. Alpha is dropped (as PIL's {@code convert("RGB")}); grey is replicated. */
    public static RgbImage readRgb(Path file) throws BadFileException {
        return toRgb(file, decode(file).image());
    }

    /** As {@link #readRgb(Path)}, noting in {@code report} a file whose content is not what its extension says. */
    public static RgbImage readRgb(Path file, SkippedFiles report) throws BadFileException {
        Decoded decoded = decode(file);
        String extension = extensionFormat(file);
        if (extension != null && !extension.equals(decoded.format())) {
            report.note(file, "holds " + decoded.format().toUpperCase(Locale.ROOT) + " data, not "
                    + extension.toUpperCase(Locale.ROOT) + " (read by its content)");
        }
        return toRgb(file, decoded.image());
    }

    /** A decoded image and the format its bytes turned out to be ("jpeg", "png", "gif", ...). */
    public record Decoded(BufferedImage image, String format) {
    }

    private static String extensionFormat(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1);
        return switch (ext) {
            case "jpg", "jpeg" -> "jpeg";
            case "png", "gif", "bmp" -> ext;
            default -> null;
        };
    }

    /**
     * Reads an Oxford trimap (1 pet, 2 background, 3 border) as classes PET, BACKGROUND, BORDER.
     * The stored sample values are used as they are (for a palette PNG, the indices, as PIL does).
     */
    public static Mask readTrimap(Path file) throws BadFileException {
        BufferedImage image = decode(file).image();
        Raster raster = image.getRaster();
        int w = raster.getWidth();
        int h = raster.getHeight();
        boolean sixteenBit = raster.getSampleModel().getSampleSize(0) > 8;
        int[] row = new int[w];
        byte[] classes = new byte[w * h];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                int value = sixteenBit ? row[x] : row[x] & 0xff;
                if (value < 1 || value > 3) {
                    throw new BadFileException(file, "trimap value " + value + " at (" + x + "," + y
                            + ") is outside 1-3 (1 pet, 2 background, 3 border)");
                }
                classes[y * w + x] = (byte) (value - 1);
            }
        }
        return new Mask(w, h, classes);
    }

    /**
     * Decodes the first image in {@code file}, trying every reader that recognises its bytes.
     *
     * @throws java.util.concurrent.CancellationException when the thread was interrupted (a loader closing):
     *         the reader's channel is closed under it and ImageIO then finds no reader, which says nothing
     *         about the file, so no warning may call it bad
     */
    public static Decoded decode(Path file) throws BadFileException {
        try {
            return decodeUninterrupted(file);
        } catch (BadFileException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new java.util.concurrent.CancellationException(file + ": decoding interrupted");
            }
            throw e;
        }
    }

    private static Decoded decodeUninterrupted(Path file) throws BadFileException {
        if (!Files.isRegularFile(file)) {
            throw new BadFileException(file, Files.exists(file) ? "not a regular file" : "file not found");
        }
        List<String> failures = new ArrayList<>();
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new BadFileException(file, "cannot open");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new BadFileException(file, "not an image in a supported format (" + describeStart(file) + ")");
            }
            while (readers.hasNext()) {
                ImageReader reader = readers.next();
                in.seek(0);
                try {
                    return new Decoded(readWhole(reader, in), reader.getFormatName().toLowerCase(Locale.ROOT));
                } catch (IOException | RuntimeException e) {
                    failures.add(reader.getFormatName() + ": " + e.getMessage());
                } finally {
                    reader.dispose();
                }
            }
        } catch (IOException e) {
            throw new BadFileException(file, "cannot read: " + e.getMessage(), e);
        }
        throw new BadFileException(file, "corrupt image (" + String.join("; ", failures) + ")");
    }

    private static BufferedImage readWhole(ImageReader reader, ImageInputStream in) throws IOException {
        List<String> truncation = new ArrayList<>();
        // libjpeg reports a cut-off file only as a warning and fills the rest grey; we want to skip such a file
        // (PIL refuses it too), while the harmless warnings ("extraneous bytes before marker") are ignored.
        reader.addIIOReadWarningListener((source, warning) -> {
            if (warning.contains("Premature end")) {
                truncation.add(warning);
            }
        });
        reader.setInput(in, true, true);
        BufferedImage image = reader.read(0);
        if (!truncation.isEmpty()) {
            throw new IOException("truncated: " + truncation.get(0));
        }
        return image;
    }

    private static String describeStart(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(8);
            if (head.length == 0) {
                return "empty file";
            }
            StringBuilder sb = new StringBuilder("starts with");
            for (byte b : head) {
                sb.append(String.format(" %02x", b & 0xff));
            }
            return sb.toString();
        } catch (IOException e) {
            return "unreadable";
        }
    }

    /** Converts any decoded image to 8-bit RGB ({@code file} names it in errors). */
    public static RgbImage toRgb(Path file, BufferedImage image) throws BadFileException {
        int w = image.getWidth();
        int h = image.getHeight();
        if ((long) w * h * 3 > Integer.MAX_VALUE - 8) {
            throw new BadFileException(file, "image " + w + "x" + h + " is too large");
        }
        byte[] rgb = new byte[w * h * 3];
        ColorModel cm = image.getColorModel();
        if (!(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            // Read grey samples directly: getRGB would treat them as linear light and brighten them.
            Raster raster = image.getRaster();
            int shift = Math.max(0, raster.getSampleModel().getSampleSize(0) - 8);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    byte v = (byte) (row[x] >>> shift);
                    int o = (y * w + x) * 3;
                    rgb[o] = v;
                    rgb[o + 1] = v;
                    rgb[o + 2] = v;
                }
            }
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int p = row[x];
                    int o = (y * w + x) * 3;
                    rgb[o] = (byte) (p >> 16);
                    rgb[o + 1] = (byte) (p >> 8);
                    rgb[o + 2] = (byte) p;
                }
            }
        }
        return new RgbImage(w, h, rgb);
    }
}
