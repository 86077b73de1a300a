package dev.depthwise.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LrSchedulerTest {
    @Test
    void stepLRDecaysEveryStepSizeEpochsAsTheArticle() {
        LrScheduler s = LrScheduler.step(1e-3, 7, 0.7);
        // PyTorch StepLR(step_size=7, gamma=0.7) after 0, 6, 7, 13, 14, 20, 21 calls of step().
        assertEquals(1e-3, s.lr(0), 1e-15);
        assertEquals(1e-3, s.lr(6), 1e-15);
        assertEquals(7e-4, s.lr(7), 1e-15);
        assertEquals(7e-4, s.lr(13), 1e-15);
        assertEquals(4.9e-4, s.lr(14), 1e-15);
        assertEquals(4.9e-4, s.lr(20), 1e-15);
        assertEquals(3.43e-4, s.lr(21), 1e-15);
    }

    @Test
    void cosineAnnealsFromBaseToEtaMin() {
        LrScheduler s = LrScheduler.cosine(0.1, 10, 0.001);
        assertEquals(0.1, s.lr(0), 1e-15);
        assertEquals(0.001 + 0.099 * (1 + Math.cos(Math.PI * 3 / 10)) / 2, s.lr(3), 1e-15);
        assertEquals((0.1 + 0.001) / 2, s.lr(5), 1e-15);
        assertEquals(0.001, s.lr(10), 1e-15);
    }

    @Test
    void warmupThenCosineToZero() {
        LrScheduler s = LrScheduler.warmupCosine(3e-3, 2, 10);
        assertEquals(1e-3, s.lr(0), 1e-15);
        assertEquals(2e-3, s.lr(1), 1e-15);
        assertEquals(3e-3, s.lr(2), 1e-15);
        assertEquals(1.5e-3, s.lr(6), 1e-15);
        assertEquals(3e-3 * (1 + Math.cos(Math.PI * 7 / 8)) / 2, s.lr(9), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> LrScheduler.warmupCosine(1e-3, 5, 5));
    }

    @Test
    void constantNeverChanges() {
        assertEquals(0.01, LrScheduler.constant(0.01).lr(100));
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LrScheduler.step(1e-3, 0, 0.7));
        assertThrows(IllegalArgumentException.class, () -> LrScheduler.cosine(1e-3, 0, 0));
    }
}
