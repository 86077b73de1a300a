package dev.depthwise.train;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressTest {
    @Test
    void withoutATerminalPrintsAboutTenPlainLinesPerEpoch() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(buf, true, StandardCharsets.UTF_8), false);
        p.startEpoch(3, 20, 40);
        for (int step = 1; step <= 40; step++) {
            p.step(step, 0.5, 16);
        }
        p.endEpoch("epoch 3/20: done");
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(11, lines.length);
        assertTrue(lines[0].startsWith("epoch 3/20 [") && lines[0].contains(" 4/40 loss 0.5000 ")
                && lines[0].contains("img/s ETA "), lines[0]);
        assertTrue(lines[9].contains("40/40"), lines[9]);
        assertTrue(!buf.toString(StandardCharsets.UTF_8).contains("\r"));
        assertEquals(0.5, p.meanLoss(), 1e-12);
    }

    @Test
    void onATerminalRedrawsOneLine() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(buf, true, StandardCharsets.UTF_8), true);
        p.startEpoch(1, 1, 3);
        p.step(1, 1.0, 2);
        p.step(2, 2.0, 2);
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\repoch 1/1 [") && !out.contains("\n"), out);
        assertEquals(1.5, p.meanLoss(), 1e-12);
    }

    @Test
    void clockShowsMinutesAndHours() {
        assertEquals("00:59", Progress.clock(59.4));
        assertEquals("02:05", Progress.clock(125));
        assertEquals("1:01:01", Progress.clock(3661));
    }
}
