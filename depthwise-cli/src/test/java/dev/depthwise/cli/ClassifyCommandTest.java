package dev.depthwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.depthwise.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end with weights written by torchvision: the seeded width-0.35, 10-class MobileNetV2 of the golden
 * tests, and torchvision's probabilities for the same PNG through Resize(256)-CenterCrop(224)-Normalize
 * (make_golden.py). The 1000-class ImageNet weights are too big for the repository; they only change the
 * class count and the labels.
 */
class ClassifyCommandTest {
    @TempDir
    Path tmp;

    @Test
    void printsTorchvisionsTopClassesAndProbabilities() throws Exception {
        Path photo = resource("classify/photo.png");
        CliRun run = CliRun.of("classify", photo.toString(), "--weights", weights().toString(), "--width", "0.35");
        assertEquals(0, run.exit(), run.err());

        float[] expected = SafeTensors.read(resource("classify/expected.safetensors")).tensors().get("probs").data();
        List<Integer> order = IntStream.range(0, expected.length).boxed()
                .sorted(Comparator.comparingDouble(i -> -expected[i])).toList();
        String[] lines = run.out().strip().split("\\R");
        assertEquals(photo.toString(), lines[0]);
        assertEquals(6, lines.length, run.out());
        for (int rank = 0; rank < 5; rank++) {
            String[] fields = lines[rank + 1].trim().split("\\s+");
            int index = order.get(rank);
            assertEquals("(" + index + ")", fields[fields.length - 1], lines[rank + 1]);
            assertEquals("class " + index, fields[1] + " " + fields[2], lines[rank + 1]);
            // Printed with 4 decimals; torchvision's value rounds to the same up to the last digit.
            assertEquals(expected[index], Float.parseFloat(fields[0]), 0.5e-4 + 1e-6, lines[rank + 1]);
        }
    }

    @Test
    void skipsUnreadableImagesAndReportsThem() throws Exception {
        Path broken = tmp.resolve("broken.jpg");
        Files.write(broken, new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3});
        Path photo = resource("classify/photo.png");
        CliRun run = CliRun.of("classify", broken.toString(), photo.toString(), "--weights", weights().toString(),
                "--width", "0.35", "--top", "2");
        assertEquals(1, run.exit());
        assertTrue(run.err().contains("broken.jpg"), run.err());
        assertTrue(run.err().contains("1 of 2 images"), run.err());
        assertEquals(3, run.out().strip().split("\\R").length, run.out());
    }

    @Test
    void classifiesTheImagesOfADirectoryAndSkipsUnreadableOnes() throws Exception {
        // As segment: a directory's image files in name order, other files ignored, a broken image skipped and
        // reported while the rest go on, and the exit status says one was skipped.
        Path dir = Files.createDirectories(tmp.resolve("photos"));
        Path photo = resource("classify/photo.png");
        Files.copy(photo, dir.resolve("b.png"));
        Files.copy(photo, dir.resolve("a.PNG"));
        Files.write(dir.resolve("c.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3});
        Files.writeString(dir.resolve("notes.txt"), "not an image");
        CliRun run = CliRun.of("classify", dir.toString(), photo.toString(), "--weights", weights().toString(),
                "--width", "0.35", "--top", "1");
        assertEquals(1, run.exit(), run.err());
        List<String> lines = List.of(run.out().strip().split("\\R"));
        assertEquals(List.of(dir.resolve("a.PNG").toString(), dir.resolve("b.png").toString(), photo.toString()),
                IntStream.range(0, lines.size()).filter(i -> i % 2 == 0).mapToObj(lines::get).toList(), run.out());
        assertEquals(lines.get(1), lines.get(3), "the same photo, the same top class");
        assertTrue(run.err().contains("c.jpg") && run.err().contains("1 of 4 images"), run.err());
        assertTrue(!run.out().contains("notes.txt") && !run.err().contains("notes.txt"), run.err());
    }

    @Test
    void aDirectoryWithoutImagesOrAMissingPathIsOneClearError() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        CliRun run = CliRun.of("classify", empty.toString(), "--weights", weights().toString(), "--width", "0.35");
        assertEquals(1, run.exit());
        assertTrue(run.err().startsWith("depthwise: no image files") && run.err().contains(empty.toString()),
                run.err());

        Path missing = tmp.resolve("nowhere");
        run = CliRun.of("classify", missing.toString(), "--weights", weights().toString(), "--width", "0.35");
        assertEquals(1, run.exit());
        assertTrue(run.err().startsWith("depthwise: " + missing + ": no such file"), run.err());
        assertEquals(1, run.err().strip().split("\\R").length, "one line, no stack trace: " + run.err());
    }

    @Test
    void wrongWidthIsOneClearError() throws Exception {
        CliRun run = CliRun.of("classify", resource("classify/photo.png").toString(),
                "--weights", weights().toString());
        assertEquals(1, run.exit());
        assertTrue(run.err().contains("--width"), run.err());
        assertTrue(run.err().contains("features.0.0.weight: checkpoint [16, 3, 3, 3], model [32, 3, 3, 3]"), run.err());
        assertEquals(1, run.err().strip().split("\\R").length, "one line: " + run.err());
    }

    @Test
    void foreignWeightsFileIsOneClearError() throws Exception {
        Path notWeights = tmp.resolve("weights.pth");
        Files.writeString(notWeights, "hello");
        CliRun run = CliRun.of("classify", resource("classify/photo.png").toString(),
                "--weights", notWeights.toString());
        assertEquals(1, run.exit());
        assertTrue(run.err().startsWith("depthwise: " + notWeights), run.err());
        assertEquals(1, run.err().strip().split("\\R").length, "one line, no stack trace: " + run.err());
    }

    /** The torchvision checkpoint kept with the golden tests of depthwise-nn. */
    private static Path weights() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve(".ci"))) {
            dir = dir.getParent();
        }
        Objects.requireNonNull(dir, "repository root (the directory with .ci) not found above the working directory");
        return dir.resolve("depthwise-nn/src/test/resources/golden/mobilenet_v2_w035.pth");
    }

    private static Path resource(String name) throws Exception {
        return Path.of(Objects.requireNonNull(ClassifyCommandTest.class.getResource("/" + name), name).toURI());
    }
}
