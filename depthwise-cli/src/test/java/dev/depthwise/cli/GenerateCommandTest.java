package dev.depthwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.depthwise.data.OxfordPets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCommandTest {
    @TempDir
    Path tmp;

    @Test
    void generatesAReadableDatasetAndRefusesForeignDirectories() throws Exception {
        Path dir = tmp.resolve("pets");
        assertEquals(0, Main.commandLine().execute("generate", dir.toString(), "--count", "8", "--size", "32", "--seed", "3"));
        OxfordPets pets = OxfordPets.open(dir);
        assertEquals(4, pets.trainval().size());
        assertEquals(4, pets.test().size());

        Path foreign = tmp.resolve("foreign");
        Files.createDirectories(foreign);
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        CliRun refused = CliRun.of("generate", foreign.toString());
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains("refusing to overwrite"), refused.err());
    }
}
