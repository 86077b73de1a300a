package dev.depthwise.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Bad options are refused before anything is measured (they used to measure nothing, or end in a stack trace). */
class BenchMainTest {
    @Test
    void anUnknownModelOrAnEmptyBatchIsAUsageError() {
        assertRefused("unknown model 'resnet50'", "--only", "resnet50");
        assertRefused("--train-batches must all be at least 1", "--train-batches", "16,0", "train");
    }

    @Test
    void helpNamesTheCommandAsUsersTypeIt() {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new BenchMain("bench"));
        cl.setOut(new PrintWriter(out, true));
        assertEquals(0, cl.execute("--help"));
        assertTrue(out.toString().startsWith("Usage: depthwise bench [-hV]"), out.toString());
    }

    private static void assertRefused(String expected, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new BenchMain("bench"));
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(2, cl.execute(args), err.toString());
        assertTrue(err.toString().contains(expected), err.toString());
    }
}
