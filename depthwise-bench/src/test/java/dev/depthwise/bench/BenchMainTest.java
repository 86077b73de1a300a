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

    @Test
    void theKernelAndAllocationBenchesRefuseABadOptionInOneLine() {
        String[][] cases = {{"--runs", "abc"}, {"--threads", "1,0"}, {"--bogus"}, {"--only", "(pointwise"}};
        String[] expected = {"KernelBench: Invalid value for option '--runs': 'abc' is not an int; see 'KernelBench --help'",
                "KernelBench: --threads must all be at least 1, --runs at least 1, --jvms at least 0; got --threads"
                        + " [1, 0], --runs 7, --jvms 0; see 'KernelBench --help'",
                "KernelBench: Unknown option: '--bogus'; see 'KernelBench --help'",
                "KernelBench: --only '(pointwise' is not a regular expression: Unclosed group; see 'KernelBench --help'"};
        for (int i = 0; i < cases.length; i++) {
            assertEquals(expected[i], refusal(KernelBench.commandLine(), cases[i]));
        }
        assertEquals("FreshJvmAllocation: --jvms, --parallel, --seconds and --threads must be at least 1, --input four"
                + " sizes of at least 1, --model one of [mobilenet_v2, segnet, segnet_dsc, mobilenet_v2_seg];"
                + " see 'FreshJvmAllocation --help'", refusal(FreshJvmAllocation.commandLine(), "--input", "1,3"));
        assertEquals("FreshJvmAllocation: Invalid value for option '--seconds': 'ten' is not an int;"
                + " see 'FreshJvmAllocation --help'", refusal(FreshJvmAllocation.commandLine(), "--seconds", "ten"));
    }

    @Test
    void aJvmFlagIsTakenAsTheValueOfJvmFlagNotAsAnOption() {
        FreshJvmAllocation parsed = FreshJvmAllocation.commandLine().parseArgs("--jvm-flag", "-XX:UseAVX=2",
                "--jvm-flag", "-XX:MaxVectorSize=16", "--input", "2,3,32,32").commandSpec().commandLine().getCommand();
        assertEquals(java.util.List.of("-XX:UseAVX=2", "-XX:MaxVectorSize=16"), parsed.flags);
        assertEquals(java.util.List.of(2, 3, 32, 32), java.util.Arrays.stream(parsed.shape).boxed().toList());
    }

    /** Standard error of a refused command line, which must exit 2 having printed one line. */
    private static String refusal(CommandLine cl, String... args) {
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        assertEquals(2, cl.execute(args), err.toString());
        assertEquals("", out.toString(), "nothing measured");
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        return err.toString().strip();
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
