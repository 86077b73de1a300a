package dev.depthwise.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SummaryCommandTest {
    private static String run(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exit(), String.join(" ", args) + ": " + run.err());
        return run.out();
    }

    @Test
    void reproducesTheArticlesPrimer() {
        String conv = run("summary", "conv", "--in", "16", "--out", "32", "--input", "16,128,128");
        assertTrue(conv.contains("Total params: 4,608"), conv);
        assertTrue(conv.contains("Total mult-adds: 75,497,472"), conv);
        String dsconv = run("summary", "dsconv", "--in", "16", "--out", "32");
        assertTrue(dsconv.contains("Total params: 656"), dsconv);
        assertTrue(dsconv.contains("Total mult-adds: 10,747,904"), dsconv);
    }

    @Test
    void segNetTotalsAndTree() {
        String s = run("summary", "segnet_dsc", "--input", "3,32,32");
        assertTrue(s.contains("Total params: 1,749,671"), s);
        String tree = run("summary", "segnet", "--tree");
        assertTrue(tree.startsWith("SegNet(\n  (bn_input): BatchNorm2d(3, eps=1e-05"), tree);
        assertTrue(tree.contains("(mup): MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"), tree);
    }

    @Test
    void unknownModelIsOneClearLine() {
        CliRun run = CliRun.of("summary", "resnet50");
        assertEquals(1, run.exit());
        assertTrue(run.err().contains("unknown model 'resnet50'"), run.err());
    }
}
