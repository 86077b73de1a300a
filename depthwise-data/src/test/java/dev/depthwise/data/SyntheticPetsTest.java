package dev.depthwise.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticPetsTest {
    @TempDir
    Path tmp;

    @Test
    void generatedDataIsAReadableOxfordLayout() throws Exception {
        SyntheticPets.generate(tmp, 20, 64, 1);
        OxfordPets pets = OxfordPets.open(tmp);
        assertEquals(10, pets.trainval().size());
        assertEquals(10, pets.test().size());
        Set<String> names = new HashSet<>();
        for (PetEntry e : List.of(pets.trainval(), pets.test()).stream().flatMap(List::stream).toList()) {
            assertTrue(names.add(e.name()), "duplicate " + e.name());
            assertTrue(e.classId() >= 1 && e.classId() <= 6 && (e.species() == 1 || e.species() == 2));
            PetSample s = PetSample.load(e);
            assertEquals(64, s.image().width());
            int[] counts = new int[3];
            for (byte c : s.mask().classes()) {
                counts[c]++;
            }
            // A visible pet, mostly background, and a thin border band between them.
            assertTrue(counts[Mask.PET] > 64 * 64 / 50, e.name() + " pet pixels " + counts[Mask.PET]);
            assertTrue(counts[Mask.BACKGROUND] > 64 * 64 / 3, e.name() + " background pixels " + counts[Mask.BACKGROUND]);
            assertTrue(counts[Mask.BORDER] > 0 && counts[Mask.BORDER] < counts[Mask.PET] + counts[Mask.BACKGROUND] / 2);
        }
    }

    @Test
    void borderBandSeparatesPetFromBackground() {
        int size = 64;
        boolean[] pet = new boolean[size * size];
        for (int y = 20; y < 40; y++) {
            for (int x = 20; x < 40; x++) {
                pet[y * size + x] = true;
            }
        }
        byte[] t = SyntheticPets.trimap(pet, size);
        assertEquals(1, t[30 * size + 30]);
        assertEquals(2, t[5 * size + 5]);
        assertEquals(3, t[30 * size + 20]); // on the outline's inside
        assertEquals(3, t[30 * size + 19]); // and its outside
        for (int i = 0; i < t.length; i++) { // pet never touches background directly
            if (t[i] == 1 && i % size + 1 < size) {
                assertNotEquals(2, t[i + 1]);
            }
        }
    }

    @Test
    void sameSeedSameFilesOtherSeedOtherFiles() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        Path c = tmp.resolve("c");
        SyntheticPets.generate(a, 6, 48, 9);
        SyntheticPets.generate(b, 6, 48, 9);
        SyntheticPets.generate(c, 6, 48, 10);
        assertEquals(Files.readString(a.resolve("annotations/trainval.txt")), Files.readString(b.resolve("annotations/trainval.txt")));
        String first = OxfordPets.open(a).trainval().get(0).name();
        assertArrayEquals(Files.readAllBytes(a.resolve("images/" + first + ".jpg")), Files.readAllBytes(b.resolve("images/" + first + ".jpg")));
        assertArrayEquals(Files.readAllBytes(a.resolve("annotations/trimaps/" + first + ".png")),
                Files.readAllBytes(b.resolve("annotations/trimaps/" + first + ".png")));
        Path other = c.resolve("images/" + first + ".jpg");
        if (Files.exists(other)) {
            assertNotEquals(Files.size(a.resolve("images/" + first + ".jpg")), Files.size(other));
        }
    }

    @Test
    void regeneratingIsIdempotentAndRealDataIsNeverOverwritten() throws Exception {
        Path dir = tmp.resolve("gen");
        assertEquals(new SyntheticPets.Result(4, false), SyntheticPets.generate(dir, 4, 32, 1));
        assertEquals(new SyntheticPets.Result(4, true), SyntheticPets.generate(dir, 4, 32, 1));
        assertEquals(new SyntheticPets.Result(3, false), SyntheticPets.generate(dir, 3, 32, 2));
        try (var images = Files.list(dir.resolve("images"))) {
            assertEquals(3, images.count(), "the old set's images are gone");
        }
        Path real = tmp.resolve("real");
        Files.createDirectories(real.resolve("images"));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SyntheticPets.generate(real, 4, 32, 1));
        assertTrue(e.getMessage().contains("refusing to overwrite"), e.getMessage());
    }
}
