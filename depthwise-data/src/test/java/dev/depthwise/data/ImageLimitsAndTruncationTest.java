package dev.depthwise.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file cut short, of any format and at any offset, is a bad file; so is one declaring too many pixels. */
class ImageLimitsAndTruncationTest {
    @TempDir
    Path tmp;

    /** Noisy pixels, so that JPEG scans are long and a cut can fall anywhere in them. */
    private static BufferedImage noise(int w, int h, int type, long seed) {
        BufferedImage image = new BufferedImage(w, h, type);
        SplittableRandom random = new SplittableRandom(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24) & 0x3f3f3f | (x * 3) << 16 | (y * 3));
            }
        }
        return image;
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, format, out)) {
            throw new IOException("no writer for " + format);
        }
        return out.toByteArray();
    }

    private static byte[] progressiveJpeg(BufferedImage image) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /**
     * Decodes prefixes of {@code whole} and expects each refused: every cut in the headers (the first 400 bytes)
     * and the last 24 bytes (end markers, the last chunk), every 11th in between.
     */
    private static void everyCutIsRefused(String label, byte[] whole) {
        cutsAreRefusedBut(label, whole, List.of());
    }

    private static void cutsAreRefusedBut(String label, byte[] whole, List<Integer> acceptable) {
        try {
            ImageDecoder.readRgb(whole, label, DecodeLimits.DEFAULT);
        } catch (BadFileException e) {
            fail(label + ": the whole file is refused: " + e.getMessage());
        }
        List<Integer> accepted = new ArrayList<>();
        for (int cut = 1; cut < whole.length; cut += cut < 400 || cut >= whole.length - 24 ? 1 : 11) {
            try {
                ImageDecoder.readRgb(Arrays.copyOf(whole, cut), label, DecodeLimits.DEFAULT);
                accepted.add(cut);
            } catch (BadFileException e) {
                assertTrue(e.getMessage().startsWith(label + ": "), e.getMessage());
            }
        }
        assertEquals(acceptable, accepted, label + " (" + whole.length + " bytes) was accepted when cut at these lengths");
    }

    @Test
    void jpegsCutAtAnyOffsetAreRefused() throws Exception {
        everyCutIsRefused("small.jpg", encode(noise(8, 8, BufferedImage.TYPE_INT_RGB, 1), "jpeg"));
        everyCutIsRefused("medium.jpg", encode(noise(64, 48, BufferedImage.TYPE_INT_RGB, 2), "jpeg"));
        everyCutIsRefused("grey.jpg", encode(noise(40, 30, BufferedImage.TYPE_BYTE_GRAY, 3), "jpeg"));
        everyCutIsRefused("progressive.jpg", progressiveJpeg(noise(96, 80, BufferedImage.TYPE_INT_RGB, 4)));
        everyCutIsRefused("cmyk.jpg", Files.readAllBytes(Path.of(getClass().getResource("/data/cmyk_rgb_icc.jpg").toURI())));
    }

    @Test
    void pngsGifsAndBmpsCutAtAnyOffsetAreRefused() throws Exception {
        everyCutIsRefused("a.png", encode(noise(30, 20, BufferedImage.TYPE_INT_RGB, 5), "png"));
        // A GIF whose only loss is its one-byte trailer holds a whole image: accepted, as PIL and browsers do.
        byte[] gif = encode(noise(24, 16, BufferedImage.TYPE_INT_RGB, 6), "gif");
        cutsAreRefusedBut("a.gif", gif, List.of(gif.length - 1));
        everyCutIsRefused("a.bmp", encode(noise(13, 7, BufferedImage.TYPE_INT_RGB, 7), "bmp"));
    }

    @Test
    void aTruncatedJpegSaysWhereItEnds() throws Exception {
        byte[] whole = encode(noise(64, 48, BufferedImage.TYPE_INT_RGB, 2), "jpeg");
        Path cut = tmp.resolve("cut.jpg");
        Files.write(cut, Arrays.copyOf(whole, whole.length * 2 / 3));
        BadFileException inScan = assertThrows(BadFileException.class, () -> ImageDecoder.readRgb(cut));
        assertEquals(cut + ": data ends inside scan 1 (truncated)", inScan.getMessage());
        assertEquals(cut, inScan.file());

        byte[] progressive = progressiveJpeg(noise(32, 32, BufferedImage.TYPE_INT_RGB, 9));
        int lastScan = lastIndexOf(progressive, (byte) 0xda);
        Files.write(cut, Arrays.copyOf(progressive, lastScan - 1)); // every scan but the last
        BadFileException noEnd = assertThrows(BadFileException.class, () -> ImageDecoder.readRgb(cut));
        assertTrue(noEnd.getMessage().matches(".*: no end-of-image marker after scan [0-9]+ \\(truncated\\)"), noEnd.getMessage());
    }

    @Test
    void aPngWithAShortIdatStreamIsRefusedEvenWithItsIend() throws Exception {
        // Rows missing at the end of the zlib stream, yet every chunk whole with a good CRC and IEND present:
        // only the inflated size tells.
        byte[] raw = new byte[4 * (1 + 4 * 3)];
        byte[] shortStream = deflate(Arrays.copyOf(raw, raw.length - 13));
        Path file = tmp.resolve("short.png");
        Files.write(file, png(4, 4, 8, 2, shortStream));
        BadFileException e = assertThrows(BadFileException.class, () -> ImageDecoder.readRgb(file));
        assertEquals(file + ": IDAT data holds 39 of the 52 bytes its size implies (truncated)", e.getMessage());
        Files.write(file, png(4, 4, 8, 2, deflate(raw)));
        assertEquals(4, ImageDecoder.readRgb(file).width());
    }

    @Test
    void anImageOverThePixelLimitIsRefusedFromItsHeaderAlone() throws Exception {
        // A PNG of a few dozen bytes declaring 20000x20000 (400 megapixels): decoding it would take gigabytes.
        Path bomb = tmp.resolve("bomb.png");
        Files.write(bomb, png(20000, 20000, 8, 2, deflate(new byte[16])));
        assertEquals(new ImageHeader("png", 20000, 20000), ImageDecoder.probe(bomb));
        BadFileException e = assertThrows(BadFileException.class, () -> ImageDecoder.readRgb(bomb));
        assertEquals(bomb + ": declares 20000x20000 = 400000000 pixels, more than the limit of 100000000", e.getMessage());

        Path small = tmp.resolve("small.jpg");
        TestImages.write(TestImages.gradient(64, 32), "jpeg", small);
        assertThrows(BadFileException.class, () -> ImageDecoder.readRgb(small, new DecodeLimits(64 * 32 - 1)));
        assertEquals(64, ImageDecoder.readRgb(small, new DecodeLimits(64 * 32)).width());
        BadFileException trimap = assertThrows(BadFileException.class, () -> ImageDecoder.readTrimap(small, new DecodeLimits(100)));
        assertTrue(trimap.getMessage().contains("more than the limit of 100"), trimap.getMessage());
    }

    @Test
    void bytesWithoutAFileAreNamedByTheirName() throws Exception {
        byte[] jpeg = encode(noise(16, 16, BufferedImage.TYPE_INT_RGB, 8), "jpeg");
        assertEquals(16, ImageDecoder.readRgb(jpeg, "upload.jpg", DecodeLimits.DEFAULT).height());
        BadFileException e = assertThrows(BadFileException.class,
                () -> ImageDecoder.readRgb(Arrays.copyOf(jpeg, 300), "upload.jpg", DecodeLimits.DEFAULT));
        assertEquals("upload.jpg", e.name());
        assertEquals(null, e.file());
        assertTrue(e.getMessage().startsWith("upload.jpg: "), e.getMessage());
        assertEquals(new ImageHeader("jpeg", 16, 16), ImageDecoder.probe(jpeg, "upload.jpg"));
    }

    @Test
    void formatsWhoseStructureIsNotCheckedAreRefused() throws Exception {
        Path tiff = tmp.resolve("a.tif");
        TestImages.write(TestImages.gradient(4, 4), "tiff", tiff);
        BadFileException e = assertThrows(BadFileException.class, () -> ImageDecoder.readRgb(tiff));
        assertEquals(tiff + ": TIFF data is not accepted (JPEG, PNG, GIF and BMP are)", e.getMessage());
    }

    /** The offset of the last FF xx marker in {@code bytes}. */
    private static int lastIndexOf(byte[] bytes, byte marker) {
        for (int i = bytes.length - 2; i >= 0; i--) {
            if (bytes[i] == (byte) 0xff && bytes[i + 1] == marker) {
                return i + 1;
            }
        }
        throw new AssertionError("no marker");
    }

    static byte[] deflate(byte[] raw) {
        Deflater deflater = new Deflater();
        deflater.setInput(raw);
        deflater.finish();
        byte[] buffer = new byte[raw.length + 64];
        int n = deflater.deflate(buffer);
        deflater.end();
        return Arrays.copyOf(buffer, n);
    }

    /** A PNG of the given header and IDAT bytes, every chunk with its right CRC. */
    static byte[] png(int width, int height, int depth, int colourType, byte[] idat) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) depth).put((byte) colourType)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", idat);
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
