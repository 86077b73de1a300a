package dev.depthwise.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.Split;
import dev.depthwise.data.SyntheticPets;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** eval and segment on a tiny model trained for one epoch. */
class EvaluationAndSegmentTest {
    @TempDir
    static Path root;
    static Path data;
    static Path checkpoint;

    @BeforeAll
    static void tinyRun() throws IOException {
        data = root.resolve("data");
        SyntheticPets.generate(data, 12, 40, 9);
        RunConfig config = new RunConfig(ModelSpec.of(Models.SEGNET_DSC).withSeed(2).toMap(), data.toString(), 1, 4,
                32, "adam", 1e-3, null, 0.9, false, "none", 7, 0.7, "ce", 2);
        checkpoint = new Trainer(config, root.resolve("run"), Progress.silent(), 1).run(Trainer.Start.NEW).lastCheckpoint();
    }

    @Test
    void evaluationReproducesTheTrainingRunsTestMetrics() throws IOException {
        Evaluation e = Evaluation.run(checkpoint, null, Split.TEST, 5, 1, DecodeLimits.DEFAULT);
        EpochRecord last = Checkpoint.read(checkpoint).info().last();
        assertEquals(last.test(), e.result().metrics().summary());
        assertEquals(6, e.result().images());
        assertTrue(e.table().contains("pixel_accuracy") && e.table().contains("confusion matrix"), e.table());
        JsonNode json = Checkpoint.JSON.readTree(e.json());
        assertEquals(last.pixelAccuracy(), json.at("/metrics/pixel_accuracy").asDouble(), 1e-12);
        assertEquals(6L * 32 * 32, sum(json.get("confusion")));
        assertEquals("test", json.get("split").asText());
    }

    private static long sum(JsonNode matrix) {
        long s = 0;
        for (JsonNode row : matrix) {
            for (JsonNode v : row) {
                s += v.asLong();
            }
        }
        return s;
    }

    @Test
    void segmentWritesMasksAtTheOriginalSizeAndSkipsBadImages() throws IOException {
        Path inputs = Files.createDirectories(root.resolve("inputs"));
        BufferedImage odd = new BufferedImage(57, 23, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 23; y++) {
            for (int x = 0; x < 57; x++) {
                odd.setRGB(x, y, (x * 4) << 16 | (y * 9) << 8 | 128);
            }
        }
        ImageIO.write(odd, "png", inputs.resolve("wide.png").toFile());
        Files.writeString(inputs.resolve("broken.jpg"), "not an image");
        Files.writeString(inputs.resolve("notes.txt"), "ignored: not an image name");
        Files.createSymbolicLink(inputs.resolve("loop.jpg"), inputs.resolve("loop.jpg"));

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path out = root.resolve("segmented");
        Segmenter.Summary s = Segmenter.fromCheckpoint(checkpoint)
                .segmentFiles(List.of(inputs), out, true, DecodeLimits.DEFAULT, new PrintStream(log, true));

        assertEquals(4, s.written().size(), s.written().toString()); // three PNGs and the legend
        assertEquals(2, s.skipped().size(), s.skipped().toString());
        assertTrue(log.toString().contains("broken.jpg"), log.toString());
        assertTrue(log.toString().contains("loop.jpg: a symbolic link that leads nowhere"), log.toString());
        for (String suffix : new String[] {".mask.png", ".overlay.png", ".cutout.png"}) {
            BufferedImage img = ImageIO.read(out.resolve("wide" + suffix).toFile());
            assertEquals(57, img.getWidth(), suffix);
            assertEquals(23, img.getHeight(), suffix);
        }
        assertTrue(ImageIO.read(out.resolve("wide.cutout.png").toFile()).getColorModel().hasAlpha());

        // A second image of the same name elsewhere is skipped, not written over the first one's masks.
        Path other = Files.createDirectories(root.resolve("other"));
        ImageIO.write(new BufferedImage(9, 9, BufferedImage.TYPE_INT_RGB), "jpg", other.resolve("wide.jpg").toFile());
        Segmenter.Summary twice = Segmenter.fromCheckpoint(checkpoint)
                .segmentFiles(List.of(inputs.resolve("wide.png"), other), out, false, DecodeLimits.DEFAULT, new PrintStream(log, true));
        assertEquals(3, twice.written().size(), twice.written().toString()); // mask, overlay, legend
        assertEquals(1, twice.skipped().size());
        assertTrue(twice.skipped().get(0).contains("same name as"), twice.skipped().toString());
        assertEquals(57, ImageIO.read(out.resolve("wide.mask.png").toFile()).getWidth());
    }
}
