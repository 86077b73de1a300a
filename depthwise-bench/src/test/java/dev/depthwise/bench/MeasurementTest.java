package dev.depthwise.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness's arithmetic: medians, allocation counting, and how figures are printed. */
class MeasurementTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(3, Measurement.median(new long[] {5, 1, 3}));
        assertEquals(3, Measurement.median(new long[] {4, 1, 2, 9}));
    }

    @Test
    void allocationOnThePoolCountsAsWellAsOnTheCaller() throws Exception {
        dev.depthwise.engine.Parallel.setThreads(2);
        Measurement.Result r = Measurement.measure(() -> dev.depthwise.engine.Parallel.forRange(2, (from, to) -> {
            for (int i = from; i < to; i++) {
                sink = new byte[1 << 20];
            }
        }), 1, 3);
        // Two 1 MiB arrays per call, wherever the pool ran them.
        assertTrue(r.allocatedBytesPerCall() >= 2 << 20, "allocated per call: " + r.allocatedBytesPerCall());
        assertEquals(3, r.nanos().length);
    }

    @Test
    void countingItselfAllocatesNothing() throws Exception {
        assertEquals(0, Measurement.measure(() -> { }, 2, 5).allocatedBytesPerCall());
    }

    @Test
    void figuresAreReadable() {
        assertEquals("512 B", ModelBench.bytes(512));
        assertEquals("1.5 KiB", ModelBench.bytes(1536));
        assertEquals("2.0 GiB", ModelBench.bytes(2L << 30));
        assertEquals("3m04s", TrainBench.duration(184));
        assertEquals("1h10m", TrainBench.duration(4200));
    }

    private static volatile byte[] sink;
}
