package dev.depthwise.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code dataset check} on a good set and on broken ones (each kind of fault), and a multi-class run from the CLI. */
class DatasetCommandTest {
    @TempDir
    Path dir;

    private Path generated(String name, int count) {
        Path data = dir.resolve(name);
        CliRun gen = CliRun.of("generate", data.toString(), "--count", String.valueOf(count), "--size", "32", "--seed", "2",
                "--classes", "3");
        assertEquals(0, gen.exit(), gen.err());
        return data;
    }

    private static void png(BufferedImage image, Path file) throws Exception {
        Files.createDirectories(file.getParent());
        ImageIO.write(image, "png", file.toFile());
    }

    @Test
    void aGoodSetPassesWithItsHistogram() throws Exception {
        Path data = generated("good", 10);
        CliRun check = CliRun.of("dataset", "check", data.toString());
        assertEquals(0, check.exit(), check.out() + check.err());
        assertTrue(check.out().contains("folders layout, 3 classes"), check.out());
        assertTrue(check.out().contains("1 tabby_cat") && check.out().contains("ignored (255)"), check.out());
        assertTrue(check.out().contains("image sizes 32x32 to 32x32"), check.out());
        assertTrue(check.out().strip().endsWith("ok"), check.out());

        CliRun json = CliRun.of("dataset", "check", data.toString(), "--json");
        assertEquals(0, json.exit(), json.err());
        JsonNode root = new ObjectMapper().readTree(json.out());
        assertEquals("folders", root.get("layout").asText());
        assertEquals(5, root.at("/pairs/train").asInt());
        assertTrue(root.get("ok").asBoolean());
        long classPixels = 0;
        for (JsonNode c : root.get("classes")) {
            classPixels += c.get("pixels").asLong();
        }
        assertEquals(10 * 32 * 32, classPixels + root.get("ignoredPixels").asLong());
    }

    @Test
    void aBrokenSetNamesEveryFaultAndExitsOne() throws Exception {
        Path data = generated("broken", 10);
        String[] stems = Files.readString(data.resolve("train.txt")).strip().split("\n");
        // corrupt image, mask of another size, a mask value outside the classes, a missing mask, a lone mask
        Files.write(data.resolve("images/" + stems[0] + ".jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2});
        png(new BufferedImage(20, 20, BufferedImage.TYPE_BYTE_GRAY), data.resolve("masks/" + stems[1] + ".png"));
        BufferedImage outside = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
        outside.getRaster().setSample(5, 6, 0, 7);
        png(outside, data.resolve("masks/" + stems[2] + ".png"));
        Files.delete(data.resolve("masks/" + stems[3] + ".png"));
        png(new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY), data.resolve("masks/lonely.png"));

        CliRun check = CliRun.of("dataset", "check", data.toString());
        assertEquals(1, check.exit(), check.out());
        String out = check.out();
        assertTrue(out.contains("problem: " + data.resolve("images/" + stems[0] + ".jpg")), out);
        assertTrue(out.contains(stems[1] + ".png: mask is 20x20 but its image"), out);
        assertTrue(out.contains(stems[2] + ".png: mask value 7 at (5,6) is outside the classes 0-2"), out);
        assertTrue(out.contains(stems[3] + ".png: file not found"), out);
        assertTrue(out.contains("lonely.png: a mask with no listed image"), out);
        assertTrue(out.strip().endsWith("5 problems"), out);
    }

    @Test
    void maxPixelsNamesEveryImageOverTheLimit() throws Exception {
        Path data = generated("large", 4);
        CliRun within = CliRun.of("dataset", "check", data.toString(), "--max-pixels", String.valueOf(32 * 32));
        assertEquals(0, within.exit(), within.out() + within.err());
        CliRun over = CliRun.of("dataset", "check", data.toString(), "--max-pixels", String.valueOf(32 * 32 - 1));
        assertEquals(1, over.exit(), over.out());
        assertEquals(4, over.out().lines().filter(l -> l.contains("declares 32x32 = 1024 pixels, more than the limit of 1023"))
                .count(), over.out());
        assertTrue(over.out().strip().endsWith("4 problems"), over.out());
        // Checked before the folder is looked at.
        CliRun zero = CliRun.of("dataset", "check", dir.resolve("absent").toString(), "--max-pixels", "0");
        assertEquals("depthwise: --max-pixels must be >= 1, got 0", zero.err().strip());
    }

    @Test
    void colourMasksNameTheUnknownColourAndItsFiles() throws Exception {
        Path data = dir.resolve("colors");
        Files.createDirectories(data);
        Path colors = dir.resolve("camvid-colors.txt");
        Files.writeString(colors, "0,0,0 void\n128,0,0 building\n");
        for (int i = 0; i < 4; i++) {
            png(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), data.resolve("images/c" + i + ".png"));
            BufferedImage mask = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
            mask.setRGB(1, 1, 0x800000);
            if (i >= 2) {
                mask.setRGB(2, 3, 0x00FF00);
            }
            png(mask, data.resolve("masks/c" + i + ".png"));
        }
        CliRun check = CliRun.of("dataset", "check", data.toString(), "--colors", colors.toString());
        assertEquals(1, check.exit(), check.out() + check.err());
        assertTrue(check.out().contains("colors layout, 2 classes"), check.out());
        assertTrue(check.out().contains("colour 0,255,0 is not in the colour map; it is in c2.png, c3.png"), check.out());
    }

    @Test
    void aMultiClassSetTrainsEvaluatesAndSegmentsFromTheCommandLine() throws Exception {
        Path data = generated("multi", 12);
        Path run = dir.resolve("run");
        CliRun train = CliRun.of("train", "--data", data.toString(), "--epochs", "1", "--batch-size", "4",
                "--image-size", "32", "--loader-threads", "1", "--out", run.toString(), "--iou-ignore", "none");
        assertEquals(0, train.exit(), train.err());
        CliRun eval = CliRun.of("eval", "--checkpoint", run.resolve("last.safetensors").toString(), "--json");
        assertEquals(0, eval.exit(), eval.err());
        JsonNode json = new ObjectMapper().readTree(eval.out());
        assertEquals("val", json.get("split").asText());
        assertEquals("spotted_dog", json.at("/classes/2").asText());
        assertTrue(json.at("/metrics/iou_tabby_cat").isNumber());
        assertTrue(json.get("iou_left_out") == null, eval.out());
        CliRun segment = CliRun.of("segment", "--checkpoint", run.resolve("last.safetensors").toString(),
                data.resolve("images").toString(), "--out", dir.resolve("seg").toString(), "--keep", "tabby_cat,spotted_dog");
        assertEquals(0, segment.exit(), segment.err());
        assertTrue(Files.exists(dir.resolve("seg/legend.png")));
        CliRun bad = CliRun.of("segment", "--checkpoint", run.resolve("last.safetensors").toString(),
                data.resolve("images").toString(), "--out", dir.resolve("seg2").toString(), "--keep", "horse");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("unknown class 'horse' (classes: background, tabby_cat, spotted_dog)"), bad.err());
    }
}
