package dev.depthwise.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.depthwise.models.Models;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code bench train --isolated}: the option, and one tiny training step timed in a JVM of its own. */
class IsolatedTrainStepTest {
    @Test
    void isolatedIsAnOptionOfBenchTrain() {
        BenchMain bench = new BenchMain("bench");
        new CommandLine(bench).parseArgs("train", "--isolated", "--only", "segnet_dsc", "--train-batches", "4");
        assertEquals(BenchMain.What.train, bench.what);
        assertTrue(bench.isolated);

        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new BenchMain("bench"));
        cl.setOut(new PrintWriter(out, true));
        cl.execute("--help");
        assertTrue(out.toString().contains("train: also time our training step alone"), out.toString());
    }

    @Test
    void aTrainingStepIsTimedInAJvmOfItsOwn() throws Exception {
        // SegNet-DSC at 32x32, batch 2, one thread: the child JVM spends about its 2 s of warm-up.
        Measurement.Result r = IsolatedRun.trainStep("segnet_dsc", 32, 2, 1, 1, 2, false);
        assertTrue(r.medianNanos() > 0 && r.medianNanos() < 10_000_000_000L, r.medianNanos() + " ns");
        // The child's own heap: at least its model's parameters, gradients and Adam's moments (4 x 4 bytes each).
        long parameters = 4L * 4 * Models.create("segnet_dsc").parameterCount();
        assertTrue(r.peakHeapBytes() > parameters, r.peakHeapBytes() + " B peak heap");
        assertTrue(r.allocatedBytesPerCall() >= 0);
    }

    @Test
    void aFailedChildIsNamedWithItsOutput() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> IsolatedRun.trainStep("no_such_model", 32, 2, 1, 1, 1, false));
        assertTrue(e.getMessage().startsWith("isolated run of training of no_such_model batch 2 failed (exit 1)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("no_such_model"), e.getMessage());
    }
}
