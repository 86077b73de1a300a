package dev.depthwise.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** train, eval and segment from the command line on a tiny generated dataset. */
class TrainingCommandsTest {
    @TempDir
    Path dir;

    @Test
    void trainThenEvalThenSegment() throws Exception {
        Path data = dir.resolve("data");
        Path runDir = dir.resolve("run");
        assertEquals(0, CliRun.of("generate", data.toString(), "--count", "12", "--size", "40", "--seed", "3").exit());

        CliRun train = CliRun.of("train", "--data", data.toString(), "--epochs", "1", "--batch-size", "4",
                "--image-size", "32", "--loader-threads", "1", "--out", runDir.toString());
        assertEquals(0, train.exit(), train.err());
        assertTrue(train.out().contains("report.html"), train.out());
        Path checkpoint = runDir.resolve("last.safetensors");

        // Training again into the finished run is refused before anything is touched; --overwrite starts again
        // and clears what a save killed midway left behind.
        byte[] firstRun = Files.readAllBytes(checkpoint);
        Path stale = Files.write(runDir.resolve(".best.safetensors4217.tmp"), new byte[] {1});
        String[] again = {"train", "--data", data.toString(), "--epochs", "1", "--batch-size", "4",
                "--image-size", "32", "--loader-threads", "1", "--out", runDir.toString()};
        CliRun refused = CliRun.of(again);
        assertEquals(1, refused.exit(), refused.err());
        assertEquals("depthwise: " + runDir + " already holds a run (last.safetensors after epoch 1 of 1); give --resume "
                + "to continue it, --overwrite to replace it, or another --out", refused.err().strip());
        assertArrayEquals(firstRun, Files.readAllBytes(checkpoint));
        assertTrue(Files.exists(stale));
        Files.write(runDir.resolve("epochs/epoch-07.png"), new byte[] {1}); // a grid of a longer earlier run
        CliRun overwritten = CliRun.of(java.util.stream.Stream.concat(java.util.Arrays.stream(again),
                java.util.stream.Stream.of("--overwrite")).toArray(String[]::new));
        assertEquals(0, overwritten.exit(), overwritten.err());
        assertFalse(Files.exists(stale));
        assertFalse(Files.exists(runDir.resolve("epochs/epoch-07.png")));
        assertTrue(Files.exists(runDir.resolve("epochs/epoch-01.png")));

        CliRun eval = CliRun.of("eval", "--checkpoint", checkpoint.toString(), "--json");
        assertEquals(0, eval.exit(), eval.err());
        JsonNode json = new ObjectMapper().readTree(eval.out());
        assertEquals(6, json.get("images").asInt());
        assertTrue(json.at("/metrics/iou").isNumber());

        CliRun table = CliRun.of("eval", "--checkpoint", checkpoint.toString(), "--split", "trainval");
        assertEquals(0, table.exit(), table.err());
        assertTrue(table.out().contains("pixel_accuracy"), table.out());

        Path out = dir.resolve("masks");
        CliRun segment = CliRun.of("segment", "--checkpoint", checkpoint.toString(), "--out", out.toString(),
                data.resolve("images").toString());
        assertEquals(0, segment.exit(), segment.err());
        try (var files = Files.list(out)) {
            assertEquals(25, files.count(), segment.out()); // 12 images x (mask + overlay), and the legend
        }

        // Cut-outs at the photo's size: hard has the class map's three alpha levels (the soft matte's quality is
        // measured in AlphaMatteTest; a one-epoch model's classes are too uniform to show it).
        Path first;
        try (var images = Files.list(data.resolve("images"))) {
            first = images.sorted().findFirst().orElseThrow();
        }
        java.awt.image.BufferedImage photo = javax.imageio.ImageIO.read(first.toFile());
        for (String mode : new String[] {"hard", "soft"}) {
            java.awt.image.BufferedImage cutout = cutout(checkpoint, first, dir.resolve(mode), mode);
            assertEquals(photo.getWidth(), cutout.getWidth());
            assertEquals(photo.getHeight(), cutout.getHeight());
            assertTrue(cutout.getColorModel().hasAlpha());
            if (mode.equals("hard")) {
                for (int y = 0; y < cutout.getHeight(); y++) {
                    for (int x = 0; x < cutout.getWidth(); x++) {
                        int alpha = cutout.getRGB(x, y) >>> 24;
                        assertTrue(alpha == 0 || alpha == 128 || alpha == 255, "hard alpha " + alpha);
                    }
                }
            }
        }
        CliRun fuzzy = CliRun.of("segment", "--checkpoint", checkpoint.toString(), "--out", dir.resolve("x").toString(),
                "--cutout", "--alpha", "fuzzy", first.toString());
        assertEquals(2, fuzzy.exit());
        assertTrue(fuzzy.err().contains("expected soft or hard"), fuzzy.err());

        CliRun badServe = CliRun.of("serve", "--checkpoint", checkpoint.toString(), "--workers", "0");
        assertEquals(1, badServe.exit());
        assertTrue(badServe.err().startsWith("depthwise: --workers must be at least 1"), badServe.err());

        // Bad input mixed with good: the good image is segmented, the bad one named, the exit status is 1.
        Path mixed = Files.createDirectories(dir.resolve("mixed"));
        try (var images = Files.list(data.resolve("images"))) {
            Files.copy(images.sorted().findFirst().orElseThrow(), mixed.resolve("good.jpg"));
        }
        Files.writeString(mixed.resolve("bad.jpg"), "not an image");
        Path mixedOut = dir.resolve("mixed-masks");
        CliRun partly = CliRun.of("segment", "--checkpoint", checkpoint.toString(), "--out", mixedOut.toString(),
                mixed.toString());
        assertEquals(1, partly.exit(), partly.err());
        assertTrue(Files.isRegularFile(mixedOut.resolve("good.mask.png")), partly.out());
        assertTrue(partly.out().contains("skipped 1 unreadable image"), partly.out());

        Path empty = Files.createDirectories(dir.resolve("empty"));
        CliRun none = CliRun.of("segment", "--checkpoint", checkpoint.toString(), "--out", mixedOut.toString(),
                empty.toString());
        assertEquals(1, none.exit());
        assertTrue(none.err().contains("no image files"), none.err());

        // An image over --max-pixels is skipped and named; the others are segmented.
        Path limited = dir.resolve("limited");
        Files.createDirectories(mixed.resolve("big"));
        java.awt.image.BufferedImage big = new java.awt.image.BufferedImage(60, 50, java.awt.image.BufferedImage.TYPE_INT_RGB);
        javax.imageio.ImageIO.write(big, "png", mixed.resolve("big/large.png").toFile());
        Files.copy(mixed.resolve("good.jpg"), mixed.resolve("big/good.jpg"));
        CliRun capped = CliRun.of("segment", "--checkpoint", checkpoint.toString(), "--out", limited.toString(),
                "--max-pixels", "2000", mixed.resolve("big").toString());
        assertEquals(1, capped.exit(), capped.err());
        assertTrue(capped.out().contains("skipped 1 unreadable image"), capped.out()); // named on System.err
        assertTrue(Files.isRegularFile(limited.resolve("good.mask.png")), capped.out());

        // A checkpoint cut in half is named, and the intact one still loads afterwards.
        byte[] whole = Files.readAllBytes(checkpoint);
        Path half = Files.write(dir.resolve("half.safetensors"), java.util.Arrays.copyOf(whole, whole.length / 2));
        CliRun truncated = CliRun.of("eval", "--checkpoint", half.toString());
        assertEquals(1, truncated.exit());
        assertTrue(truncated.err().startsWith("depthwise: " + half + ": "), truncated.err());
    }

    @Test
    void aValidationCarveChoosesTheKeptEpochAndEvalReadsItBack() throws Exception {
        CliRun help = CliRun.of("train", "--help");
        assertTrue(help.out().contains("--validation-fraction=F") && help.out().contains("never on the test split"),
                help.out());
        Path data = dir.resolve("data");
        Path runDir = dir.resolve("run");
        assertEquals(0, CliRun.of("generate", data.toString(), "--count", "16", "--size", "40", "--seed", "3").exit());
        CliRun train = CliRun.of("train", "--data", data.toString(), "--epochs", "2", "--batch-size", "4",
                "--image-size", "32", "--loader-threads", "1", "--validation-fraction", "0.25", "--out", runDir.toString());
        assertEquals(0, train.exit(), train.err());
        assertEquals(2, new ObjectMapper().readTree(runDir.resolve("split/validation.json").toFile()).size()); // a quarter of 8 trainval
        assertTrue(train.out().contains("chosen on the validation carve"), train.out());
        assertTrue(Files.exists(runDir.resolve("best.safetensors")));

        CliRun eval = CliRun.of("eval", "--checkpoint", runDir.resolve("best.safetensors").toString(), "--split", "carve",
                "--json");
        assertEquals(0, eval.exit(), eval.err());
        JsonNode json = new ObjectMapper().readTree(eval.out());
        assertEquals("validation carve", json.get("split").asText());
        assertEquals(2, json.get("images").asInt());
        assertTrue(json.get("epoch_choice").asText().startsWith("chosen on the validation carve"), eval.out());

        CliRun resumed = CliRun.of("train", "--out", runDir.toString(), "--resume", "--epochs", "3",
                "--validation-fraction", "0.5");
        assertEquals(1, resumed.exit(), resumed.err());
        assertEquals("depthwise: --validation-fraction 0.5: " + runDir + " holds out 0.25 of its training pairs, and a "
                + "resumed run keeps its carve", resumed.err().strip());
    }

    @Test
    void resumeWithoutACheckpointIsOneClearError() {
        CliRun r = CliRun.of("train", "--resume", "--out", dir.resolve("nothing").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("cannot resume: no checkpoint"), r.err());
    }

    @Test
    void trainingNeedsData() {
        CliRun r = CliRun.of("train", "--out", dir.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("--data DIR is required"), r.err());
    }

    /** The cut-out {@code segment --cutout --alpha MODE} writes for {@code image}. */
    private static java.awt.image.BufferedImage cutout(Path checkpoint, Path image, Path out, String mode)
            throws Exception {
        CliRun run = CliRun.of("segment", "--checkpoint", checkpoint.toString(), "--out", out.toString(), "--cutout",
                "--alpha", mode, image.toString());
        assertEquals(0, run.exit(), run.err());
        String stem = image.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        return javax.imageio.ImageIO.read(out.resolve(stem + ".cutout.png").toFile());
    }
}
