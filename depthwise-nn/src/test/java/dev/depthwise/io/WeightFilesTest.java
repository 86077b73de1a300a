package dev.depthwise.io;

import static dev.depthwise.io.SafeTensorsTest.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightFilesTest {
    @Test
    void detectsFormatByContent(@TempDir Path dir) throws IOException {
        Path pth = dir.resolve("weights.bin");
        Files.copy(resource("io/tiny_state_dict.pth"), pth);
        Path safetensors = dir.resolve("weights.pth");
        Files.copy(resource("io/tiny_expected.safetensors"), safetensors);
        assertEquals(WeightFiles.readStateDict(pth).keySet(), WeightFiles.readStateDict(safetensors).keySet());

        WeightFileException legacy = assertThrows(WeightFileException.class,
                () -> WeightFiles.readStateDict(resource("io/tiny_legacy.pth")));
        assertTrue(legacy.getMessage().contains("legacy"), legacy.getMessage());

        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "just some text");
        WeightFileException foreign = assertThrows(WeightFileException.class, () -> WeightFiles.readStateDict(text));
        assertTrue(foreign.getMessage().contains("neither"), foreign.getMessage());
    }
}
