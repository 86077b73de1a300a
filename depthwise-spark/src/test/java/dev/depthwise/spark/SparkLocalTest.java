package dev.depthwise.spark;

import dev.depthwise.data.ImageDecoder;
import dev.depthwise.data.RgbImage;
import dev.depthwise.models.Classification;
import dev.depthwise.train.Checkpoint;
import dev.depthwise.train.Classifier;
import dev.depthwise.train.Segmenter;
import dev.depthwise.train.RingAllReduce;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The jobs in {@code local[2]}: what they write, against the CLI's own classes on the same images. */
class SparkLocalTest {
    @TempDir
    static Path root;
    static SparkSession spark;
    static Path pets;
    static Path photos;

    @BeforeAll
    static void start() throws IOException {
        pets = Fixtures.pets(root.resolve("pets"));
        photos = Fixtures.photoFolder(root.resolve("photos"), pets, 5);
        spark = SparkSession.builder().master("local[2]").appName("depthwise-spark tests")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = SparkMain.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        assertEquals(0, status, err.toString());
        return out.toString();
    }

    private static Map<String, Row> byFileName(List<Row> rows) {
        return rows.stream().collect(Collectors.toMap(r -> Path.of(r.getString(0)).getFileName().toString(), Function.identity()));
    }

    @Test
    void segmentWritesParquetAndPngsEqualToTheSegmenters() throws Exception {
        Path checkpoint = Fixtures.checkpoint(root.resolve("seg.safetensors"), pets);
        Path table = root.resolve("masks.parquet");
        Path pngs = root.resolve("pngs");
        String said = run("segment", "--checkpoint", checkpoint.toString(), "--input", photos.toString(),
                "--output", table.toString(), "--png-dir", pngs.toString(), "--cutout", "--batch-size", "2");
        assertTrue(said.startsWith("6 images -> " + table + " (1 with an error"), said);

        Map<String, Row> rows = byFileName(spark.read().parquet(table.toString()).collectAsList());
        assertEquals(6, rows.size());
        Row broken = rows.get("broken.jpg");
        assertTrue(broken.getString(5).startsWith("not an image in a supported format"), broken.getString(5));
        assertNull(broken.get(4));

        Segmenter segmenter = Segmenter.fromCheckpoint(checkpoint);
        int checked = 0;
        for (Path image : Segmenter.expand(List.of(photos, photos.resolve("more")))) {
            if (image.getFileName().toString().equals("broken.jpg")) {
                continue;
            }
            Row row = rows.get(image.getFileName().toString());
            assertNull(row.get(5), image + ": " + row.get(5));
            Segmenter.Segmentation expected = segmenter.segment(ImageDecoder.readRgb(image));
            assertEquals(expected.width(), row.getInt(1));
            assertEquals(expected.height(), row.getInt(2));
            List<Long> counts = row.getList(3);
            assertEquals(3, counts.size());
            assertEquals((long) expected.width() * expected.height(), counts.stream().mapToLong(Long::longValue).sum());
            BufferedImage mask = ImageIO.read(new ByteArrayInputStream((byte[]) row.get(4)));
            assertArrayEquals(pixels(Segmenter.maskImage(expected, segmenter.palette())), pixels(mask), image + ": mask");

            String stem = image.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            Path folder = image.getParent().equals(photos) ? pngs : pngs.resolve("more");
            assertArrayEquals(pixels(mask), pixels(ImageIO.read(folder.resolve(stem + ".mask.png").toFile())));
            assertTrue(Files.size(folder.resolve(stem + ".cutout.png")) > 0);
            checked++;
        }
        assertEquals(5, checked);
    }

    @Test
    void classifyGivesTheClassifiersTopClasses() throws Exception {
        Path weights = Fixtures.mobileNetWeights(root.resolve("mobilenet.safetensors"));
        Path table = root.resolve("classes.parquet");
        run("classify", "--weights", weights.toString(), "--width", "0.25", "--top", "3", "--input", photos.toString(),
                "--output", table.toString());

        Map<String, Row> rows = byFileName(spark.read().parquet(table.toString()).collectAsList());
        assertEquals(6, rows.size());
        assertNotNull(rows.get("broken.jpg").getString(4));
        Classifier classifier = Classifier.fromWeights(weights, 0.25);
        for (Path image : Segmenter.expand(List.of(photos, photos.resolve("more")))) {
            if (image.getFileName().toString().equals("broken.jpg")) {
                continue;
            }
            Row row = rows.get(image.getFileName().toString());
            RgbImage rgb = ImageDecoder.readRgb(image);
            List<Classification.Score> expected = classifier.classify(rgb, 3);
            assertEquals(expected.stream().map(Classification.Score::index).toList(), row.getList(1), image.toString());
            assertEquals(expected.stream().map(Classification.Score::label).toList(), row.getList(2));
            List<Float> probabilities = row.getList(3);
            for (int k = 0; k < 3; k++) {
                assertEquals(expected.get(k).probability(), probabilities.get(k), 1e-5f);
            }
        }
    }

    @Test
    void segmentAndClassifyNameImagesOverThePixelLimitInTheirRows() throws Exception {
        Path checkpoint = Fixtures.checkpoint(root.resolve("seg-limit.safetensors"), pets);
        Path masks = root.resolve("masks-limit.parquet");
        String said = run("segment", "--checkpoint", checkpoint.toString(), "--input", photos.toString(),
                "--output", masks.toString(), "--max-pixels", "100");
        assertTrue(said.startsWith("6 images -> " + masks + " (6 with an error"), said);
        Path weights = Fixtures.mobileNetWeights(root.resolve("mobilenet-limit.safetensors"));
        Path classes = root.resolve("classes-limit.parquet");
        run("classify", "--weights", weights.toString(), "--width", "0.25", "--input", photos.toString(),
                "--output", classes.toString(), "--max-pixels", "100");
        for (Path table : List.of(masks, classes)) {
            Map<String, Row> rows = byFileName(spark.read().parquet(table.toString()).collectAsList());
            assertEquals(6, rows.size());
            rows.forEach((name, row) -> {
                String error = row.getString(row.length() - 1);
                assertNotNull(error, table + ": " + name);
                if (!name.equals("broken.jpg")) {
                    assertTrue(error.contains("more than the limit of 100"), table + ": " + name + ": " + error);
                }
            });
        }
    }

    @Test
    void trainOnTwoWorkersWritesTheRunFolder() throws Exception {
        Path out = root.resolve("run");
        String said = run("train", "--workers", "2", "--out", out.toString(), "--data", pets.toString(),
                "--epochs", "1", "--batch-size", "4", "--image-size", "32", "--seed", "7");
        assertTrue(said.contains("after 1 epochs on 2 workers"), said);
        // 8 trainval pets: 4 per worker, 2 per step: 2 gradient exchanges, and 1 of BatchNorm's statistics.
        assertTrue(said.contains("; 3 exchanges"), said);
        Checkpoint.Contents last = Checkpoint.read(out.resolve("last.safetensors"));
        assertEquals(1, last.info().epoch());
        assertEquals(4, last.info().config().batchSize());
        assertEquals(2, last.info().optimizerSteps());
        assertTrue(Files.exists(out.resolve("report.html")));
        assertTrue(Files.exists(out.resolve("epochs/epoch-01.png")));
    }

    @Test
    void classifyChecksItsOptionsAsTheCliDoes() {
        for (String[] bad : new String[][] {{"--top", "0", "--top must be >= 1, got 0"},
                {"--width", "NaN", "--width must be a finite number > 0, got NaN"}}) {
            StringWriter err = new StringWriter();
            int status = SparkMain.commandLine().setOut(new PrintWriter(new StringWriter())).setErr(new PrintWriter(err))
                    .execute("classify", "--weights", root.resolve("absent.pth").toString(), "--input",
                            root.toString(), "--output", root.resolve("never.parquet").toString(), bad[0], bad[1]);
            assertNotEquals(0, status, err.toString());
            assertTrue(err.toString().strip().endsWith(bad[2]), err.toString());
            assertEquals(1, err.toString().strip().lines().count(), "one line: " + err);
        }
    }

    @Test
    void trainPassesThePixelLimitToTheWorkers() {
        StringWriter err = new StringWriter();
        int status = SparkMain.commandLine().setOut(new PrintWriter(new StringWriter())).setErr(new PrintWriter(err))
                .execute("train", "--workers", "2", "--out", root.resolve("tiny-limit").toString(), "--data",
                        pets.toString(), "--epochs", "1", "--batch-size", "4", "--image-size", "32", "--max-pixels", "1000");
        // Every 40x40 pet declares 1600 pixels: each worker skips all of its shard.
        assertEquals(1, status, err.toString());
        assertTrue(err.toString().contains("none of the 4 trainval pairs could be read"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), "one line, not Spark's stack trace: " + err);
    }

    @Test
    void aWorkerThatFailsFailsTheStageInsteadOfHangingItsPeer() {
        // Worker 1 fails after joining the ring, while worker 0 waits for its gradients.
        SparkException e = assertTimeoutPreemptively(Duration.ofSeconds(90), () -> assertThrows(SparkException.class,
                () -> BarrierWorkers.runStage(spark, 2, context -> {
                    try (RingAllReduce ring = BarrierWorkers.join(context, Duration.ofMinutes(5))) {
                        if (ring.rank() == 1) {
                            throw new IllegalStateException("worker 1 broke");
                        }
                        return ring.sum(new float[]{1f});
                    }
                }, float[].class)));
        assertTrue(e.getMessage().contains("worker 1"), e.getMessage());
    }

    @Test
    void benchExchangeTimesTheRingAndTheBarrier() {
        String said = run("bench-exchange", "--workers", "2", "--rounds", "2", "--allgather-rounds", "1");
        long values = dev.depthwise.models.Models.create(dev.depthwise.models.Models.SEGNET_DSC).trainableParameterCount() + 1;
        for (int rank = 0; rank < 2; rank++) {
            assertTrue(said.contains(String.format(java.util.Locale.ROOT, "worker %d: ring all-reduce of %,d floats", rank, values)), said);
        }
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
