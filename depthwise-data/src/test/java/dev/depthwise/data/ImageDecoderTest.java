package dev.depthwise.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {
    @TempDir
    Path tmp;

    /** A 16x8 JPEG, left half red and right half blue, with an EXIF APP1 segment saying {@code orientation}. */
    private static byte[] jpegWithOrientation(int orientation, boolean littleEndian) throws Exception {
        BufferedImage image = new BufferedImage(16, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                image.setRGB(x, y, x < 8 ? 0xff0000 : 0x0000ff);
            }
        }
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(image, "jpeg", jpeg);
        byte[] plain = jpeg.toByteArray();
        // TIFF header, IFD0 at offset 8 with one entry (tag 274, SHORT, count 1, the value), no next IFD.
        java.nio.ByteBuffer tiff = java.nio.ByteBuffer.allocate(26)
                .order(littleEndian ? java.nio.ByteOrder.LITTLE_ENDIAN : java.nio.ByteOrder.BIG_ENDIAN);
        tiff.put(littleEndian ? (byte) 'I' : (byte) 'M').put(littleEndian ? (byte) 'I' : (byte) 'M').putShort((short) 42)
                .putInt(8).putShort((short) 1).putShort((short) 0x0112).putShort((short) 3).putInt(1)
                .putShort((short) orientation).putShort((short) 0).putInt(0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(plain, 0, 2);
        int length = 2 + 6 + tiff.capacity();
        out.write(new byte[] {(byte) 0xff, (byte) 0xe1, (byte) (length >> 8), (byte) length, 'E', 'x', 'i', 'f', 0, 0});
        out.write(tiff.array());
        out.write(plain, 2, plain.length - 2);
        return out.toByteArray();
    }

    @Test
    void aPhotoIsTurnedUprightByItsExifOrientationAndATrainingImageIsReadAsStored() throws Exception {
        // Where the stored left (red) half ends up as a viewer shows the photo: 6 turns it a quarter clockwise.
        int[][] cases = {{1, 16, 8, 0, 0}, {3, 16, 8, 15, 0}, {6, 8, 16, 0, 0}, {8, 8, 16, 0, 15}, {2, 16, 8, 15, 0}};
        for (int[] c : cases) {
            for (boolean little : new boolean[] {false, true}) {
                byte[] jpeg = jpegWithOrientation(c[0], little);
                RgbImage photo = ImageDecoder.readPhoto(jpeg, "photo.jpg", DecodeLimits.DEFAULT);
                String label = "orientation " + c[0] + (little ? " (II)" : " (MM)");
                assertEquals(c[1], photo.width(), label);
                assertEquals(c[2], photo.height(), label);
                assertTrue(photo.get(c[3], c[4], 0) > 200 && photo.get(c[3], c[4], 2) < 60, label + ": red where expected");
                Path file = Files.write(tmp.resolve("o" + c[0] + little + ".jpg"), jpeg);
                assertArrayEquals(photo.rgb(), ImageDecoder.readPhoto(file, DecodeLimits.DEFAULT).rgb(), label);
                RgbImage stored = ImageDecoder.readRgb(file, DecodeLimits.DEFAULT);
                assertEquals(16, stored.width(), label);
                assertTrue(stored.get(0, 0, 0) > 200, label);
            }
        }
        // An EXIF segment whose IFD lies beyond its end, or an orientation of 9, leaves the pixels as stored.
        byte[] broken = jpegWithOrientation(6, false);
        broken[4 + 2 + 6 + 7] = (byte) 200;
        assertEquals(16, ImageDecoder.readPhoto(broken, "broken.jpg", DecodeLimits.DEFAULT).width());
        assertEquals(16, ImageDecoder.readPhoto(jpegWithOrientation(9, true), "nine.jpg", DecodeLimits.DEFAULT).width());
    }

    @Test
    void aLinkThatLeadsNowhereIsNamedAsSuch() throws Exception {
        Path loop = Files.createSymbolicLink(tmp.resolve("loop.jpg"), tmp.resolve("loop.jpg"));
        BadFileException e = assertThrows(BadFileException.class, () -> ImageDecoder.readRgb(loop));
        assertEquals(loop + ": a symbolic link that leads nowhere (a loop, or its target is missing)", e.getMessage());
    }

    @Test
    void aFileNameWithALineBreakStaysOnOneLineOfTheWarning() throws Exception {
        Path file = Files.writeString(tmp.resolve("bad\nwrote 0 files.jpg"), "not an image");
        BadFileException e = assertThrows(BadFileException.class, () -> ImageDecoder.readRgb(file));
        assertEquals(tmp + "/bad\\u000awrote 0 files.jpg: not an image in a supported format (starts with 6e 6f 74 20 61"
                + " 6e 20 69)", e.getMessage());
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        new SkippedFiles(new java.io.PrintStream(log, true)).report(e);
        assertEquals(1, log.toString().strip().lines().count(), log.toString());
    }

    @Test
    void pngBehindJpgNameIsDecodedByContent() throws Exception {
        Path file = tmp.resolve("a.jpg");
        TestImages.write(TestImages.gradient(5, 4), "png", file);
        RgbImage image = ImageDecoder.readRgb(file);
        assertEquals(5, image.width());
        assertEquals(4, image.height());
        assertEquals(40, image.get(4, 2, 0));
        assertEquals(20, image.get(4, 2, 1));
        assertEquals(100, image.get(4, 2, 2));
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        SkippedFiles report = new SkippedFiles(new java.io.PrintStream(log, true));
        ImageDecoder.readRgb(file, DecodeLimits.DEFAULT, report);
        ImageDecoder.readRgb(file, DecodeLimits.DEFAULT, report);
        assertEquals("note: " + file + ": holds PNG data, not JPEG (read by its content)", log.toString().strip());
        assertEquals(0, report.count());
        assertEquals("no files skipped; 1 odd file read (see notes)", report.summary());
    }

    @Test
    void aDecodeCutShortByAnInterruptDoesNotCallTheFileBad() throws Exception {
        // Regression: a loader closing after a failed training step interrupted its decoders, and a good
        // trimap was then reported as "not an image in a supported format".
        Path file = tmp.resolve("good.png");
        TestImages.write(TestImages.gradient(5, 4), "png", file);
        Thread.currentThread().interrupt();
        try {
            ImageDecoder.decode(file);
        } catch (java.util.concurrent.CancellationException e) {
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
        } catch (BadFileException e) {
            throw new AssertionError("an interrupted decode reported a good file as bad: " + e.getMessage(), e);
        } finally {
            Thread.interrupted();
        }
        assertEquals(5, ImageDecoder.decode(file).image().getWidth());
    }

    @Test
    void jpegIsDecodedCloseToItsPixels() throws Exception {
        BufferedImage flat = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                flat.setRGB(x, y, 0xc86432);
            }
        }
        Path file = tmp.resolve("b.png"); // JPEG bytes behind a .png name
        TestImages.write(flat, "jpeg", file);
        RgbImage image = ImageDecoder.readRgb(file);
        assertEquals(200, image.get(7, 7, 0), 4);
        assertEquals(100, image.get(7, 7, 1), 4);
        assertEquals(50, image.get(7, 7, 2), 4);
    }

    /** JPEGs decode to TYPE_3BYTE_BGR, whose bytes are copied row by row: the same pixels getRGB gives. */
    @Test
    void jpegPixelsAreExactlyWhatGetRgbReturns() throws Exception {
        java.util.Random random = new java.util.Random(11);
        BufferedImage noisy = new BufferedImage(37, 23, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 23; y++) {
            for (int x = 0; x < 37; x++) {
                noisy.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        Path file = tmp.resolve("noisy.jpg");
        TestImages.write(noisy, "jpeg", file);
        BufferedImage reference = ImageIO.read(file.toFile());
        assertEquals(BufferedImage.TYPE_3BYTE_BGR, reference.getType());
        RgbImage image = ImageDecoder.readRgb(file);
        for (int y = 0; y < 23; y++) {
            for (int x = 0; x < 37; x++) {
                int rgb = reference.getRGB(x, y);
                int ours = image.get(x, y, 0) << 16 | image.get(x, y, 1) << 8 | image.get(x, y, 2);
                assertEquals(rgb & 0xffffff, ours, "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void rgbaDropsAlphaAndGreyIsNotGammaShifted() throws Exception {
        BufferedImage rgba = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0x10203040);
        rgba.setRGB(1, 0, 0xff203040);
        Path a = tmp.resolve("rgba.jpg");
        TestImages.write(rgba, "png", a);
        RgbImage decoded = ImageDecoder.readRgb(a);
        assertArrayEquals(new byte[]{0x20, 0x30, 0x40, 0x20, 0x30, 0x40}, decoded.rgb());

        BufferedImage grey = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setPixels(0, 0, 2, 1, new int[]{128, 7});
        Path g = tmp.resolve("grey.jpg");
        TestImages.write(grey, "png", g);
        assertArrayEquals(new byte[]{(byte) 128, (byte) 128, (byte) 128, 7, 7, 7}, ImageDecoder.readRgb(g).rgb());
    }

    @Test
    void paletteGifIsDecoded() throws Exception {
        byte[] r = {0, (byte) 255};
        byte[] gb = {0, 0};
        BufferedImage palette = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(1, 2, r, gb, gb));
        palette.getRaster().setPixels(0, 0, 2, 2, new int[]{0, 1, 1, 0});
        Path file = tmp.resolve("p.jpg");
        TestImages.write(palette, "gif", file);
        RgbImage image = ImageDecoder.readRgb(file);
        assertEquals(0, image.get(0, 0, 0));
        assertEquals(255, image.get(1, 0, 0));
        assertEquals(0, image.get(1, 0, 1));
    }

    @Test
    void junkAndEmptyAndMissingFilesAreBadFiles() throws Exception {
        Path mat = tmp.resolve("beagle_116.mat");
        Files.writeString(mat, "MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: junk junk junk");
        BadFileException e = assertThrows(BadFileException.class, () -> ImageDecoder.readRgb(mat));
        assertTrue(e.getMessage().contains("not an image"), e.getMessage());
        Path empty = tmp.resolve("empty.jpg");
        Files.write(empty, new byte[0]);
        assertThrows(BadFileException.class, () -> ImageDecoder.readRgb(empty));
        BadFileException missing = assertThrows(BadFileException.class, () -> ImageDecoder.readRgb(tmp.resolve("none.jpg")));
        assertTrue(missing.getMessage().contains("file not found"), missing.getMessage());
    }

    @Test
    void trimapValuesMapToClasses() throws Exception {
        Path file = tmp.resolve("t.png");
        TestImages.writeTrimap(3, 1, new int[]{1, 2, 3}, file);
        Mask mask = ImageDecoder.readTrimap(file);
        assertArrayEquals(new byte[]{Mask.PET, Mask.BACKGROUND, Mask.BORDER}, mask.classes());
    }

    @Test
    void trimapValueOutsideOneToThreeIsABadFile() throws Exception {
        Path file = tmp.resolve("t7.png");
        TestImages.writeTrimap(2, 2, new int[]{1, 2, 7, 3}, file);
        BadFileException e = assertThrows(BadFileException.class, () -> ImageDecoder.readTrimap(file));
        assertTrue(e.getMessage().contains("trimap value 7 at (0,1)"), e.getMessage());
    }

    @Test
    void maskOfAnotherSizeIsABadFile() throws Exception {
        Path image = tmp.resolve("x.jpg");
        Path trimap = tmp.resolve("x.png");
        TestImages.write(TestImages.gradient(4, 3), "png", image);
        TestImages.writeTrimap(3, 3, new int[]{1, 1, 1, 2, 2, 2, 3, 3, 3}, trimap);
        BadFileException e = assertThrows(BadFileException.class,
                () -> PetSample.load(new PetEntry("x", 1, 1, 1, image, trimap)));
        assertEquals(trimap, e.file());
        assertTrue(e.getMessage().contains("mask is 3x3 but its image x.jpg is 4x3"), e.getMessage());
    }

    private Path resource(String name) throws Exception {
        return Path.of(getClass().getResource("/data/" + name).toURI());
    }

    /** JPEGs the JDK's reader alone gets wrong; made by src/test/resources/data/make_difficult_jpegs.py. */
    @Test
    void difficultJpegsAreDecodedWithTheRightColours() throws Exception {
        RgbImage cmyk = ImageDecoder.readRgb(resource("cmyk_rgb_icc.jpg")); // the JDK: "Unsupported Image Type"
        assertEquals(16, cmyk.width());
        assertEquals(255, cmyk.get(2, 2, 0), 12);
        assertEquals(0, cmyk.get(2, 2, 1), 12);
        assertEquals(0, cmyk.get(2, 2, 2), 12);
        assertEquals(0, cmyk.get(13, 2, 0), 12); // C255 M255 Y0 K0 is blue, as PIL converts it
        assertEquals(255, cmyk.get(13, 2, 2), 12);
        RgbImage lab = ImageDecoder.readRgb(resource("lab_icc.jpg")); // the JDK applies the Lab profile: wrong colours
        assertEquals(200, lab.get(8, 8, 0), 4);
        assertEquals(100, lab.get(8, 8, 1), 4);
        assertEquals(50, lab.get(8, 8, 2), 4);
        RgbImage grey = ImageDecoder.readRgb(resource("grey.jpg"));
        assertEquals(128, grey.get(8, 8, 0), 2);
        assertEquals(128, grey.get(8, 8, 2), 2);
    }
}
