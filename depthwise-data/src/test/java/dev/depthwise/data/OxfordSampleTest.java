package dev.depthwise.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Reads the real 200-pair sample in ../shared/data/oxford-pets-sample (skipped when it is absent). */
class OxfordSampleTest {
    @Test
    void everyListedPairIsReadAndTheOddFilesAreHandled() throws Exception {
        Path dir = TestImages.oxfordSample();
        Assumptions.assumeTrue(dir != null, "skipped: ../shared/data/oxford-pets-sample not found next to the repository");
        OxfordPets pets = OxfordPets.open(dir);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        SkippedFiles skipped = new SkippedFiles(new PrintStream(log, true));
        List<String> names = new ArrayList<>();
        for (List<PetEntry> split : List.of(pets.trainval(), pets.test())) {
            try (PetLoader loader = new PetLoader(split, LoaderOptions.of(64, 16, 0).withCache(false), skipped)) {
                for (EvalBatch b : loader.evaluation()) {
                    names.addAll(b.batch().names());
                    for (EvalBatch.ImageSize s : b.originalSizes()) {
                        assertTrue(s.width() >= 100 && s.width() <= 2000 && s.height() >= 100 && s.height() <= 2000, s.toString());
                    }
                }
            }
        }
        assertEquals(150 + 49, names.size(), "every listed pair is read");
        assertEquals(0, skipped.count(), log.toString());
        assertTrue(names.contains("Abyssinian_5"), "the RGBA PNG behind a .jpg name (test list) is read");
        assertEquals(List.of(pets.imageFile("Abyssinian_5")), skipped.notedFiles());
        assertTrue(log.toString().contains("Abyssinian_5.jpg: holds PNG data, not JPEG (read by its content)"), log.toString());

        // The GIF behind a .jpg name is in no list; it decodes too, and its trimap is all background.
        PetSample gif = PetSample.load(new PetEntry("Abyssinian_34", 0, 1, 1,
                pets.imageFile("Abyssinian_34"), pets.trimapFile("Abyssinian_34")), DecodeLimits.DEFAULT, skipped);
        assertTrue(skipped.notedFiles().contains(pets.imageFile("Abyssinian_34")));
        System.out.print(log);
        System.out.println("oxford-pets-sample: " + names.size() + " listed pairs read; " + skipped.summary());
        assertEquals(250, gif.image().width());
        assertEquals(202, gif.image().height());
        for (byte c : gif.mask().classes()) {
            assertEquals(Mask.BACKGROUND, c);
        }
        RgbImage rgba = ImageDecoder.readRgb(pets.imageFile("Abyssinian_5"));
        assertEquals(200, rgba.width());
        assertEquals(150, rgba.height());
    }
}
