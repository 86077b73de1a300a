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
    void aMalformedLineIsSkippedAndReportedNotTheWholeList() throws Exception {
        TestImages.writeLists(tmp, List.of("a"), List.of());
        byte[] text = ("\uFEFFok 1 1 1\nbroken line\nx 1 one 1\n../../etc/passwd 1 1 1\n"
                + "# comment\n\n  spaced\t2  1 1  \r\nbad").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] notUtf8 = java.util.Arrays.copyOf(text, text.length + 1);
        notUtf8[text.length] = (byte) 0xff;
        Files.write(tmp.resolve("annotations/test.txt"), notUtf8);
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        SkippedFiles report = new SkippedFiles(new java.io.PrintStream(log, true));
        List<PetEntry> test = OxfordPets.open(tmp).entries(Split.TEST, report);
        assertEquals(List.of("ok", "spaced"), test.stream().map(PetEntry::name).toList());
        assertEquals(4, report.lineCount());
        assertEquals(0, report.count());
        Path list = tmp.resolve("annotations/test.txt");
        assertEquals(List.of(
                "warning: skipping line 2 of " + list + " ('broken line'): expected 'NAME CLASS-ID SPECIES BREED-ID', got 2 fields",
                "warning: skipping line 3 of " + list + " ('x 1 one 1'): ids must be integers",
                "warning: skipping line 4 of " + list + " ('../../etc/passwd 1 1 1'): '../../etc/passwd' is not a plain file name",
                "warning: skipping line 8 of " + list + " ('bad\uFFFD'): holds bytes that are not UTF-8"),
                log.toString().lines().toList());
        assertEquals("no files skipped; 4 list lines skipped (see warnings above)", report.summary());
    }
}
