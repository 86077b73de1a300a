package dev.depthwise.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's chain (generate, train, report, segment) on a miniature setting; the real one is timed in the README. */
class DemoTest {
    @TempDir
    Path dir;

    @Test
    void generatesTrainsReportsAndSegments() throws IOException {
        Demo.Result r = new Demo(12, 40, 32, 1, 4, 1e-3, 3, 0).run(dir, Progress.silent(), System.err);
        assertTrue(Files.exists(r.data().resolve("annotations/test.txt")));
        assertTrue(Files.exists(r.training().report()));
        assertEquals(1, r.training().history().size());
        assertEquals(10, r.segmentedFiles().size(), r.segmentedFiles().toString()); // 3 images x mask, overlay, cutout; legend
        assertTrue(r.segmentedFiles().stream().allMatch(Files::exists));
    }
}
