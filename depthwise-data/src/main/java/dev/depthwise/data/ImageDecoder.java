package dev.depthwise.data;

import dev.depthwise.engine.IoErrors;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.color.ColorSpace;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads images by their content, never their extension: the Oxford-IIIT Pet set has PNG and GIF bytes
 * behind {@code .jpg} names. The JDK's readers handle PNG, GIF, BMP and plain JPEG; TwelveMonkeys'
 * JPEG reader (on the class path, found by ImageIO's service lookup) handles CMYK/YCCK JPEGs and broken
 * ICC profiles that the JDK rejects. Every failure becomes a {@link BadFileException} naming the file.
 *
 * <p>Before any pixel is decoded, three checks: the bytes are JPEG, PNG, GIF or BMP (other formats are refused:
 * nothing checks their structure); the header's width x height is within {@link DecodeLimits#maxPixels()}
 * (a 1 MB PNG can declare 20000x20000); and the file is whole by its format's structure
 * ({@link ImageStructure}: a JPEG cut inside a scan, a PNG whose IDAT stream stops short).
 */
public final class ImageDecoder {
    static {
        // Pick up readers from jars added after ImageIO first looked (a no-op when nothing is new).
        ImageIO.scanForPlugins();
        ImageIO.setUseCache(false); // decode in memory; no temp files
    }

    private ImageDecoder() {
    }

    /** Decodes any supported format to RGB within the default limits. Alpha is dropped (as PIL's {@code convert("RGB")}); grey is replicated. */
    public static RgbImage readRgb(Path file) throws BadFileException {
        return readRgb(file, DecodeLimits.DEFAULT);
    }

    /** As {@link #readRgb(Path)} within {@code limits}. */
    public static RgbImage readRgb(Path file, DecodeLimits limits) throws BadFileException {
        return toRgb(new Source(file, file.toString()), decode(file, limits).image());
    }

    /** As {@link #readRgb(Path, DecodeLimits)}, noting in {@code report} a file whose content is not what its extension says. */
    public static RgbImage readRgb(Path file, DecodeLimits limits, SkippedFiles report) throws BadFileException {
        Decoded decoded = decode(file, limits);
        String extension = extensionFormat(file);
        if (extension != null && !extension.equals(decoded.format())) {
            report.note(file, "holds " + decoded.format().toUpperCase(Locale.ROOT) + " data, not "
                    + extension.toUpperCase(Locale.ROOT) + " (read by its content)");
        }
        return toRgb(new Source(file, file.toString()), decoded.image());
    }

    /**
     * Decodes image bytes that came without a file (an upload); {@code name} (what the sender called them)
     * names them in a {@link BadFileException}.
     */
    public static RgbImage readRgb(byte[] bytes, String name, DecodeLimits limits) throws BadFileException {
        Source source = new Source(null, name);
        return toRgb(source, decode(bytes, source, limits).image());
    }

    /**
     * Decodes a photo to RGB as a viewer shows it: as {@link #readRgb(Path)}, then turned upright by its
     * EXIF orientation ({@link ExifOrientation}), so that what is made from it (a mask, an overlay, a cut-out) lines
     * up with the photo the user sees. Training pairs are read as stored ({@link #readRgb}), as PIL's
     * {@code Image.open} reads them: their masks were drawn on those pixels.
     */
    public static RgbImage readPhoto(Path file) throws BadFileException {
        return readPhoto(file, DecodeLimits.DEFAULT);
    }

    /** As {@link #readPhoto(Path)} within {@code limits}. */
    public static RgbImage readPhoto(Path file, DecodeLimits limits) throws BadFileException {
        try {
            return photo(new Source(file, file.toString()), readBytes(file), limits);
        } catch (BadFileException e) {
            throw interruptedOr(e, file);
        }
    }

    /** As {@link #readPhoto(Path, DecodeLimits)} for bytes that came without a file (an upload). */
    public static RgbImage readPhoto(byte[] bytes, String name, DecodeLimits limits) throws BadFileException {
        return photo(new Source(null, name), bytes, limits);
    }

    private static RgbImage photo(Source source, byte[] bytes, DecodeLimits limits) throws BadFileException {
        Decoded decoded = decode(bytes, source, limits);
        RgbImage rgb = toRgb(source, decoded.image());
        return decoded.format().equals(ImageStructure.JPEG) ? ExifOrientation.apply(rgb, ExifOrientation.of(bytes)) : rgb;
    }

    /** A decoded image and the format its bytes turned out to be ("jpeg", "png", "gif", "bmp"). */
    public record Decoded(BufferedImage image, String format) {
    }

    /** The format and size a file declares, read from its header without decoding its pixels. */
    public static ImageHeader probe(Path file) throws BadFileException {
        Source source = new Source(file, file.toString());
        return probe(readBytes(file), source);
    }

    /** As {@link #probe(Path)} for bytes that came without a file. */
    public static ImageHeader probe(byte[] bytes, String name) throws BadFileException {
        return probe(bytes, new Source(null, name));
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

    /** As {@link #readTrimap(Path, DecodeLimits)} within the default limits. */
    public static Mask readTrimap(Path file) throws BadFileException {
        return readTrimap(file, DecodeLimits.DEFAULT);
    }

    /**
     * Reads an Oxford trimap (1 pet, 2 background, 3 border) as classes PET, BACKGROUND, BORDER.
     * The stored sample values are used as they are (for a palette PNG, the indices, as PIL does).
     */
    public static Mask readTrimap(Path file, DecodeLimits limits) throws BadFileException {
        return trimapOf(new Source(file, file.toString()), decodeMask(file, limits).image());
    }

    /**
     * A mask file decoded as {@link #decode(Path, DecodeLimits)} does, refused when it holds JPEG data: JPEG blurs
     * the values at every edge between classes, into other classes' values or values in range but wrong.
     */
    static Decoded decodeMask(Path file, DecodeLimits limits) throws BadFileException {
        return lossless(decode(file, limits), new Source(file, file.toString()));
    }

    private static Decoded lossless(Decoded decoded, Source source) throws BadFileException {
        if (decoded.format().equals(ImageStructure.JPEG)) {
            throw source.bad("holds JPEG data; a mask must be lossless (PNG, GIF or BMP), since JPEG blurs the class"
                    + " values at every edge");
        }
        return decoded;
    }

    /** A colour mask's pixels as RGB, refused when JPEG ({@link #decodeMask}). */
    static RgbImage readMaskRgb(Path file) throws BadFileException {
        return toRgb(new Source(file, file.toString()), decodeMask(file, DecodeLimits.DEFAULT).image());
    }

    /** As {@link #readTrimap(Path, DecodeLimits)} for bytes that came without a file. */
    public static Mask readTrimap(byte[] bytes, String name, DecodeLimits limits) throws BadFileException {
        Source source = new Source(null, name);
        return trimapOf(source, lossless(decode(bytes, source, limits), source).image());
    }

    private static Mask trimapOf(Source source, BufferedImage image) throws BadFileException {
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
                    throw source.bad("trimap value " + value + " at (" + x + "," + y
                            + ") is outside 1-3 (1 pet, 2 background, 3 border)");
                }
                classes[y * w + x] = (byte) (value - 1);
            }
        }
        return new Mask(w, h, classes);
    }

    /** As {@link #decode(Path, DecodeLimits)} within the default limits. */
    public static Decoded decode(Path file) throws BadFileException {
        return decode(file, DecodeLimits.DEFAULT);
    }

    /**
     * Decodes the first image in {@code file} after the format, pixel-limit and wholeness checks, trying every
     * reader of its format.
     *
     * @throws java.util.concurrent.CancellationException when the thread was interrupted (a loader closing):
     *         the file's channel is closed under the read, which says nothing about the file, so no warning
     *         may call it bad
     */
    public static Decoded decode(Path file, DecodeLimits limits) throws BadFileException {
        try {
            return decode(readBytes(file), new Source(file, file.toString()), limits);
        } catch (BadFileException e) {
            throw interruptedOr(e, file);
        }
    }

    /** {@code e}, or the cancellation it stands for when the thread was interrupted (see {@link #decode(Path, DecodeLimits)}). */
    private static BadFileException interruptedOr(BadFileException e, Path file) {
        if (Thread.currentThread().isInterrupted()) {
            throw new java.util.concurrent.CancellationException(file + ": decoding interrupted");
        }
        return e;
    }

    /** Where bytes came from: a file, or only a name. */
    private record Source(Path file, String name) {
        BadFileException bad(String reason) {
            return file != null ? new BadFileException(file, reason) : new BadFileException(name, reason);
        }
    }

    private static byte[] readBytes(Path file) throws BadFileException {
        if (!Files.isRegularFile(file)) {
            throw new BadFileException(file, Files.exists(file) ? "not a regular file"
                    : Files.isSymbolicLink(file) ? "a symbolic link that leads nowhere (a loop, or its target is missing)"
                    : "file not found");
        }
        try {
            if (Files.size(file) > Integer.MAX_VALUE - 8) {
                throw new BadFileException(file, "file of " + Files.size(file) + " bytes is too large for an image");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BadFileException(file, "cannot read: " + IoErrors.reason(e), e);
        }
    }

    private static ImageHeader probe(byte[] bytes, Source source) throws BadFileException {
        String format = ImageStructure.sniff(bytes);
        if (format == null) {
            String other = ImageStructure.unacceptedFormat(bytes);
            throw source.bad(other != null ? other + " data is not accepted (JPEG, PNG, GIF and BMP are)"
                    : "not an image in a supported format (" + describeStart(bytes) + ")");
        }
        List<String> failures = new ArrayList<>();
        for (Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format); readers.hasNext(); ) {
            ImageReader reader = readers.next();
            try {
                reader.setInput(new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes)), true, true);
                return new ImageHeader(format, reader.getWidth(0), reader.getHeight(0));
            } catch (IOException | RuntimeException e) {
                failures.add(reader.getOriginatingProvider().getDescription(Locale.ROOT) + ": " + e.getMessage());
            } finally {
                reader.dispose();
            }
        }
        throw source.bad("corrupt " + format.toUpperCase(Locale.ROOT) + " header (" + String.join("; ", failures) + ")");
    }

    private static Decoded decode(byte[] bytes, Source source, DecodeLimits limits) throws BadFileException {
        ImageHeader header = probe(bytes, source);
        if (!limits.allows(header)) {
            throw source.bad("declares " + header.width() + "x" + header.height() + " = " + header.pixels()
                    + " pixels, more than the limit of " + limits.maxPixels());
        }
        try {
            ImageStructure.checkWhole(header.format(), bytes);
        } catch (ImageStructure.Defect e) {
            throw source.bad(e.getMessage());
        }
        List<String> failures = new ArrayList<>();
        for (Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(header.format()); readers.hasNext(); ) {
            ImageReader reader = readers.next();
            try {
                return new Decoded(readWhole(reader, bytes), header.format());
            } catch (IOException | RuntimeException e) {
                failures.add(reader.getOriginatingProvider().getDescription(Locale.ROOT) + ": " + e.getMessage());
            } finally {
                reader.dispose();
            }
        }
        throw source.bad("corrupt image (" + String.join("; ", failures) + ")");
    }

    private static BufferedImage readWhole(ImageReader reader, byte[] bytes) throws IOException {
        List<String> truncation = new ArrayList<>();
        // The structure check finds a file cut short; libjpeg's own warning also catches a scan whose data
        // runs out before its last row (corrupt, not cut), which it would fill with grey.
        reader.addIIOReadWarningListener((source, warning) -> {
            if (warning.contains("Premature end")) {
                truncation.add(warning);
            }
        });
        reader.setInput(new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes)), true, true);
        BufferedImage image = reader.read(0);
        if (!truncation.isEmpty()) {
            throw new IOException("truncated: " + truncation.get(0));
        }
        return image;
    }

    private static String describeStart(byte[] bytes) {
        if (bytes.length == 0) {
            return "empty file";
        }
        StringBuilder sb = new StringBuilder("starts with");
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            sb.append(String.format(" %02x", bytes[i] & 0xff));
        }
        return sb.toString();
    }

    /** Converts any decoded image to 8-bit RGB. */
    private static RgbImage toRgb(Source source, BufferedImage image) throws BadFileException {
        int w = image.getWidth();
        int h = image.getHeight();
        if ((long) w * h * 3 > Integer.MAX_VALUE - 8) {
            throw source.bad("image " + w + "x" + h + " is too large for one array");
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
        } else if (image.getType() == BufferedImage.TYPE_3BYTE_BGR && cm.getColorSpace().isCS_sRGB()) {
            // What JPEGs decode to: its raster hands out R, G, B bytes per pixel, which getRGB would return unchanged
            // (sRGB, 8 bits) after a trip through the colour model per pixel, a fifth of a JPEG upload's decode time.
            Raster raster = image.getRaster();
            byte[] row = new byte[w * 3];
            for (int y = 0; y < h; y++) {
                raster.getDataElements(0, y, w, 1, row);
                System.arraycopy(row, 0, rgb, y * w * 3, w * 3);
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
