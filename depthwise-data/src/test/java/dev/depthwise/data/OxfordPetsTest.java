package dev.depthwise.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OxfordPetsTest {
    @TempDir
    Path tmp;

    @Test
    void missingPartsAreNamed() throws Exception {
        Files.createDirectories(tmp.resolve("images"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OxfordPets.open(tmp));
        assertTrue(e.getMessage().contains("not in the Oxford-IIIT Pet layout: missing annotations/trimaps/, "
                + "annotations/trainval.txt, annotations/test.txt"), e.getMessage());
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                () -> OxfordPets.open(tmp.resolve("nowhere")));
        assertTrue(absent.getMessage().contains("does not exist"), absent.getMessage());
        Path file = Files.writeString(tmp.resolve("notes.txt"), "not a dataset");
        IllegalArgumentException notDir = assertThrows(IllegalArgumentException.class, () -> OxfordPets.open(file));
        assertTrue(notDir.getMessage().endsWith("notes.txt is a file, not a directory"), notDir.getMessage());
    }

    @Test
    void listsAreParsedSkippingComments() throws Exception {
        TestImages.writeLists(tmp, List.of("Abyssinian_1", "beagle_2"), List.of("Bengal_3"));
        OxfordPets pets = OxfordPets.open(tmp);
        List<PetEntry> trainval = pets.trainval();
        assertEquals(2, trainval.size());
        assertEquals("beagle_2", trainval.get(1).name());
        assertEquals(tmp.resolve("images/beagle_2.jpg"), trainval.get(1).image());
        assertEquals(tmp.resolve("annotations/trimaps/beagle_2.png"), trainval.get(1).trimap());
        assertEquals(List.of("Bengal_3"), pets.test().stream().map(PetEntry::name).toList());
    }

    @Test
    void malformedLineNamesFileAndLine() throws Exception {
        TestImages.writeLists(tmp, List.of("a"), List.of());
        Files.writeString(tmp.resolve("annotations/test.txt"), "ok 1 1 1\nbroken line\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OxfordPets.open(tmp).test());
        assertTrue(e.getMessage().contains("test.txt line 2"), e.getMessage());
    }
}
