package dev.depthwise.train;

import dev.depthwise.data.SyntheticPets;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop's bookkeeping on a tiny run: outputs, and resume equal to an uninterrupted run. */
class TrainerTest {
    @TempDir
    static Path root;
    static Path data;

    @BeforeAll
    static void tinyDataset() throws IOException {
        data = root.resolve("data");
        SyntheticPets.generate(data, 16, 40, 5);
    }

    private static RunConfig tiny(int epochs) {
        // Adam with a StepLR that changes the rate after epoch 1, so the resumed epoch must restore both.
        return new RunConfig(ModelSpec.of(Models.SEGNET_DSC).withSeed(1).toMap(), data.toString(), epochs, 4, 32,
                "adam", 1e-3, null, 0.9, false, "step", 1, 0.5, "ce", 7);
    }

    @Test
    void twoEpochsEqualOneEpochThenResume() throws IOException {
        Path straight = root.resolve("straight");
        Trainer.Result full = new Trainer(tiny(2), straight, Progress.silent(), 1).run(Trainer.Start.NEW);

        Path interrupted = root.resolve("interrupted");
        new Trainer(tiny(1), interrupted, Progress.silent(), 1).run(Trainer.Start.NEW);
        RunConfig resumed = Trainer.resumedConfig(interrupted, 2);
        // The saved run is the asked one with what training found in the data: its layout and classes.
        assertEquals(tiny(2).withDataset(new DatasetConfig("pets", null, List.of("pet", "background", "border"), 1)),
                resumed);
        IllegalArgumentException fewer = assertThrows(IllegalArgumentException.class,
                () -> Trainer.resumedConfig(interrupted, 0));
        assertTrue(fewer.getMessage().contains("has done 1 already"), fewer.getMessage());
        Trainer.Result continued = new Trainer(resumed, interrupted, Progress.silent(), 1).run(Trainer.Start.RESUME);

        Checkpoint.Contents a = Checkpoint.read(full.lastCheckpoint());
        Checkpoint.Contents b = Checkpoint.read(continued.lastCheckpoint());
        assertEquals(2, b.info().epoch());
        assertEquals(a.info().optimizerSteps(), b.info().optimizerSteps());
        a.weights().forEach((k, t) -> assertArrayEquals(t.data(), b.weights().get(k).data(), k));
        a.optimizerState().forEach((k, t) -> assertArrayEquals(t.data(), b.optimizerState().get(k).data(), k));
        assertEquals(full.last().trainLoss(), continued.last().trainLoss());
        assertEquals(full.last().test(), continued.last().test());
        assertEquals(0.5e-3, continued.last().lr(), 1e-12);
    }

    @Test
    void aRunLeavesCheckpointsGridsAndTheReport() throws IOException {
        Path out = root.resolve("outputs");
        Trainer.Result r = new Trainer(tiny(1), out, Progress.silent(), 1).run(Trainer.Start.NEW);
        assertTrue(Files.size(out.resolve("last.safetensors")) > 0);
        assertTrue(Files.exists(out.resolve("last.json")));
        // No validation carve (the article's recipe): no epoch is chosen, so no best checkpoint, and none on test.
        assertFalse(Files.exists(out.resolve("best.safetensors")));
        assertNull(r.bestCheckpoint());
        assertFalse(Files.exists(out.resolve("split/validation.json")));
        assertTrue(Files.exists(out.resolve("epochs/epoch-01.png")));
        for (String chart : new String[] {"loss.png", "accuracy.png", "iou.png"}) {
            assertTrue(Files.size(out.resolve(chart)) > 1000, chart);
        }
        String html = Files.readString(r.report());
        assertTrue(html.contains("pixel_accuracy") && html.contains("data:image/png;base64,")
                && html.contains("epochs/epoch-01.png"), html.substring(0, Math.min(400, html.length())));
        Map<String, Double> test = r.last().test();
        assertTrue(test.get("pixel_accuracy") >= 0 && test.get("pixel_accuracy") <= 1);
        assertEquals(1, r.history().size());
    }

    @Test
    void softIoULossSgdAndCosineScheduleTrainToo() throws IOException {
        RunConfig config = new RunConfig(ModelSpec.of(Models.SEGNET_DSC).withSeed(1).toMap(), data.toString(), 2, 4,
                32, "sgd", 0.05, 1e-4, 0.9, true, "cosine", 7, 0.7, "iou", 7);
        Trainer.Result r = new Trainer(config, root.resolve("soft-iou"), Progress.silent(), 1).run(Trainer.Start.NEW);
        // Cosine over 2 epochs: the base rate, then half of it.
        assertEquals(0.05, r.history().get(0).lr(), 1e-12);
        assertEquals(0.025, r.history().get(1).lr(), 1e-12);
        for (EpochRecord e : r.history()) {
            // The soft-IoU loss is -log(mean soft IoU): positive and finite.
            assertTrue(e.trainLoss() > 0 && Double.isFinite(e.trainLoss()), "train loss " + e.trainLoss());
        }
        Checkpoint.Contents c = Checkpoint.read(r.lastCheckpoint());
        assertTrue(c.optimizerState().keySet().stream().allMatch(k -> k.startsWith("momentum_buffer.")));
        assertEquals("iou", c.info().config().loss());
    }
}
