package dev.depthwise.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.depthwise.engine.Tensor;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Against Pillow and torchvision outputs written by scripts/golden/make_golden.py for a seeded 97x75 image. */
class ImageNetPreprocessingTest {

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"41,31", "20,15", "130,100", "97,40", "60,75"})
    void resizeEqualsPillowBilinearExactly(int width, int height) throws Exception {
        RgbImage photo = ImageDecoder.readRgb(resource("photo.png"));
        RgbImage expected = ImageDecoder.readRgb(resource("resized_" + width + "x" + height + ".png"));
        RgbImage actual = PilResize.bilinear(photo, width, height);
        assertEquals(width, actual.width());
        assertEquals(height, actual.height());
        assertArrayEquals(expected.rgb(), actual.rgb(), "Pillow bilinear " + width + "x" + height);
    }

    @Test
    void transformEqualsTorchvision() throws Exception {
        Tensor actual = ImageNetPreprocessing.apply(ImageDecoder.readRgb(resource("photo.png")), 20, 16);
        assertArrayEquals(new int[] {1, 3, 16, 16}, actual.shape());
        float[] expected = readFloats(resource("preprocess_20_16.f32"));
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            assertTrue(Math.abs(actual.data()[i] - e) <= 1e-6 + 1e-6 * Math.abs(e),
                    "element " + i + ": got " + actual.data()[i] + ", torchvision " + e);
        }
    }

    @Test
    void shorterSideAndCropFollowTorchvisionRounding() {
        RgbImage tall = new RgbImage(3, 7, new byte[3 * 7 * 3]);
        RgbImage resized = ImageNetPreprocessing.resizeShorterSide(tall, 4);
        assertEquals(4, resized.width());
        assertEquals(9, resized.height()); // int(4 * 7 / 3) = 9
        byte[] rows = new byte[5 * 5 * 3];
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 5; x++) {
                rows[(y * 5 + x) * 3] = (byte) (10 * y + x);
            }
        }
        // (5 - 2) / 2 = 1.5 rounds half to even: 2, as Python's round; the crop starts at (2, 2).
        RgbImage crop = ImageNetPreprocessing.centerCrop(new RgbImage(5, 5, rows), 2);
        assertEquals(22, crop.rgb()[0]);
        assertThrows(IllegalArgumentException.class, () -> ImageNetPreprocessing.centerCrop(tall, 4));
    }

    private static float[] readFloats(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[buf.remaining() / 4];
        buf.asFloatBuffer().get(out);
        return out;
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(Objects.requireNonNull(ImageNetPreprocessingTest.class.getResource("/imagenet/" + name), name).toURI());
    }
}
