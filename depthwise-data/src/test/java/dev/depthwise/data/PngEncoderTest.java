package dev.depthwise.data;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayInputStream;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The faster deflate level changes the file's size, never a pixel, an alpha or a palette index. */
class PngEncoderTest {
    @Test
    void argbPixelsSurviveExactly() throws Exception {
        Random random = new Random(2);
        BufferedImage image = new BufferedImage(53, 29, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 29; y++) {
            for (int x = 0; x < 53; x++) {
                int alpha = random.nextInt(4) == 0 ? 0 : random.nextInt(256);
                image.setRGB(x, y, alpha == 0 ? 0 : alpha << 24 | random.nextInt(1 << 24));
            }
        }
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(PngEncoder.bytes(image)));
        assertArrayEquals(image.getRGB(0, 0, 53, 29, null, 0, 53), back.getRGB(0, 0, 53, 29, null, 0, 53));
    }

    @Test
    void paletteIndicesAndColoursSurvive() throws Exception {
        byte[] red = {0, (byte) 255, 0};
        byte[] green = {0, 0, (byte) 255};
        byte[] blue = {(byte) 255, 0, 0};
        BufferedImage mask = new BufferedImage(20, 10, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(2, 3, red, green, blue));
        int[] classes = new int[200];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = (i * 7 + i / 20) % 3;
        }
        mask.getRaster().setSamples(0, 0, 20, 10, 0, classes);
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(PngEncoder.bytes(mask)));
        assertTrue(back.getColorModel() instanceof IndexColorModel, "still a palette PNG");
        assertArrayEquals(classes, back.getRaster().getSamples(0, 0, 20, 10, 0, (int[]) null));
        assertEquals(mask.getRGB(3, 4), back.getRGB(3, 4));
    }
}
