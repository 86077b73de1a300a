package dev.depthwise.train;

import dev.depthwise.data.SyntheticPets;
import dev.depthwise.engine.Tensor;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.inference.Predictor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The small-data recipe's parts: a held-out validation split that picks the epoch, and flip test-time augmentation. */
class SmallDataRecipeTest {
    @TempDir
    Path root;

    @Test
    void theValidationSplitIsCarvedFromTrainingAndChoosesTheBestEpoch() throws Exception {
        Path data = root.resolve("data");
        SyntheticPets.generate(data, 20, 32, 3);
        RunConfig recipe = RunConfig.smallData(ModelSpec.of(Models.SEGNET_DSC).withSeed(1).toMap(), data, 0);
        assertEquals("ce+dice", recipe.loss());
        assertEquals("warmup-cosine(warmup=2, T_max=28)", recipe.lrScheduler().describe());
        RunConfig tiny = new RunConfig(recipe.model(), recipe.dataDir(), 3, 4, 32, recipe.optimizer(), recipe.lr(), null,
                0.9, false, recipe.scheduler(), 7, 0.7, recipe.loss(), 0, DatasetConfig.DETECT, TransferConfig.NONE,
                RunConfig.SMALL_DATA, null);
        Trainer.Result r = new Trainer(tiny, root.resolve("run"), Progress.silent(), 1).run(Trainer.Start.NEW);
        for (EpochRecord e : r.history()) {
            assertNotNull(e.validation(), "epoch " + e.epoch() + " has validation metrics");
        }
        EpochRecord chosen = r.chosen();
        for (EpochRecord e : r.history()) {
            assertTrue(chosen.selectionScore() >= e.selectionScore());
        }
        assertEquals(chosen.epoch(), Checkpoint.read(r.bestCheckpoint()).info().epoch());
        assertTrue(Checkpoint.read(r.lastCheckpoint()).info().config().flipTta());
    }

    @Test
    void theBestEpochIsTheOneWithTheBestValidationMeanIoUNotTheBestHeadlineIoU() {
        // Epoch 2 calls more background pixels pet: a better headline IoU (which leaves background targets out),
        // a worse mean IoU.
        EpochRecord first = epoch(1, Map.of("iou", 0.60, "mean_iou", 0.61));
        EpochRecord second = epoch(2, Map.of("iou", 0.66, "mean_iou", 0.57));
        EpochRecord third = epoch(3, Map.of("iou", 0.59, "mean_iou", 0.60));
        assertEquals(1, new Trainer.Result(List.of(first, second, third), null, null, null, 0).chosen().epoch());
        // Without a validation carve (the article's recipe by default) the run keeps its last epoch.
        EpochRecord best = new EpochRecord(1, 1e-3, 1, 1, Map.of("iou", 0.9), new long[0][0], 1, 1);
        EpochRecord last = new EpochRecord(2, 1e-3, 1, 1, Map.of("iou", 0.5), new long[0][0], 1, 1);
        assertEquals(2, new Trainer.Result(List.of(best, last), null, null, null, 0).chosen().epoch());
    }

    private static EpochRecord epoch(int number, Map<String, Double> validation) {
        return new EpochRecord(number, 1e-3, 1, 1, Map.of("iou", 0.5), new long[0][0], 1, 1, validation);
    }

    @Test
    void flipTestTimeAugmentationAveragesTheMirroredView() {
        var model = Models.create(ModelSpec.of(Models.SEGNET_DSC).withClasses(3).withSeed(2));
        model.eval();
        Predictor predictor = new Predictor(model);
        Tensor x = dev.depthwise.engine.Tensor.zeros(1, 3, 32, 32);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = (float) Math.sin(i * 0.37);
        }
        Tensor straight = predictor.forward(x).copy();
        Tensor mirrored = FlipTta.flipped(predictor.forward(FlipTta.flipped(x)).copy());
        Tensor averaged = FlipTta.logits(predictor, x, true);
        for (int i = 0; i < averaged.size(); i++) {
            assertEquals((straight.data()[i] + mirrored.data()[i]) / 2, averaged.data()[i], 1e-5f);
        }
        // The averaged logits of a mirrored input are the mirror of the averaged logits: the flip is symmetric.
        assertArrayEquals(FlipTta.flipped(averaged).data(), FlipTta.logits(predictor, FlipTta.flipped(x), true).data(),
                1e-5f);
    }
}
