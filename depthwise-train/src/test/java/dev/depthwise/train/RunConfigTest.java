package dev.depthwise.train;

import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunConfigTest {
    private static final Path DATA = Path.of("data");

    @Test
    void theArticlesRecipeIsTheDefault() {
        RunConfig c = RunConfig.article(ModelSpec.of(Models.SEGNET_DSC).toMap(), DATA, 0);
        assertEquals(20, c.epochs());
        assertEquals(16, c.batchSize());
        assertEquals(128, c.imageSize());
        assertEquals("adam", c.optimizer());
        assertEquals(1e-3, c.lr());
        assertEquals("ce", c.loss());
        assertEquals(7e-4, c.lrScheduler().lr(7), 1e-15);
    }

    @Test
    void theClassifierCannotBeTrainedToSegment() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> RunConfig.article(ModelSpec.of(Models.MOBILENET_V2).toMap(), DATA, 0));
        assertTrue(e.getMessage().contains("mobilenet_v2 is an image classifier"), e.getMessage());
    }

    @Test
    void unknownLossesAndSchedulersAreNamed() {
        var spec = ModelSpec.of(Models.SEGNET).toMap();
        var loss = assertThrows(IllegalArgumentException.class, () -> new RunConfig(spec, "d", 1, 1, 32, "adam", 1e-3,
                null, 0.9, false, "step", 7, 0.7, "dice", 0));
        assertTrue(loss.getMessage().contains("unknown loss 'dice'"), loss.getMessage());
        var sched = assertThrows(IllegalArgumentException.class, () -> new RunConfig(spec, "d", 1, 1, 32, "adam", 1e-3,
                null, 0.9, false, "linear", 7, 0.7, "ce", 0));
        assertTrue(sched.getMessage().contains("unknown scheduler 'linear'"), sched.getMessage());
    }
}
