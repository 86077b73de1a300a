package dev.depthwise.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PetLoaderTest {
    @TempDir
    Path tmp;

    /**
     * Twelve 12x10 samples whose image shows its mask: pet pixels white, background black, border grey,
     * at random places, so any mismatch between image and mask geometry is visible.
     */
    private OxfordPets maskShapedDataset() throws Exception {
        List<String> names = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < 12; i++) {
            String name = "pet_" + i;
            names.add(name);
            int w = 12;
            int h = 10;
            int[] trimap = new int[w * h];
            BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            for (int p = 0; p < trimap.length; p++) {
                trimap[p] = 1 + rng.nextInt(3);
                int v = trimap[p] == 1 ? 255 : trimap[p] == 2 ? 0 : 128;
                image.setRGB(p % w, p / w, v << 16 | v << 8 | v);
            }
            TestImages.write(image, "png", tmp.resolve("images/" + name + ".jpg"));
            TestImages.writeTrimap(w, h, trimap, tmp.resolve("annotations/trimaps/" + name + ".png"));
        }
        TestImages.writeLists(tmp, names, names.subList(0, 5));
        return OxfordPets.open(tmp);
    }

    private static List<Batch> epoch(OxfordPets pets, LoaderOptions options, int epoch) {
        List<Batch> batches = new ArrayList<>();
        try (PetLoader loader = new PetLoader(pets.trainval(), options, new SkippedFiles(null))) {
            loader.epoch(epoch).forEach(batches::add);
        }
        return batches;
    }

    @Test
    void augmentedImageAndMaskStayAligned() throws Exception {
        OxfordPets pets = maskShapedDataset();
        List<Batch> batches = epoch(pets, LoaderOptions.of(12, 5, 7), 0);
        assertEquals(3, batches.size());
        assertEquals(List.of(5, 5, 2), batches.stream().map(Batch::size).toList());
        assertEquals(List.of(5, 5), epoch(pets, LoaderOptions.of(12, 5, 7).withDropLast(true), 0).stream().map(Batch::size).toList());
        for (Batch b : batches) {
            assertArrayEquals(new int[]{b.size(), 3, 12, 12}, b.images().shape());
            float[] x = b.images().data();
            int plane = 144;
            for (int n = 0; n < b.size(); n++) {
                for (int i = 0; i < plane; i++) {
                    int cls = b.masks()[n * plane + i];
                    float v = x[n * 3 * plane + i];
                    // Contrast jitter in [0.7, 1.3] keeps white above 0.6 and black below 0.3.
                    if (cls == Mask.PET) {
                        assertTrue(v > 0.6f, "pet pixel " + v);
                    } else if (cls == Mask.BACKGROUND) {
                        assertTrue(v < 0.3f, "background pixel " + v);
                    }
                }
            }
        }
    }

    @Test
    void sameSeedRepeatsExactlyWhateverTheThreadsAndCache() throws Exception {
        OxfordPets pets = maskShapedDataset();
        LoaderOptions base = LoaderOptions.of(8, 4, 11).withInterpolation(Interpolation.BILINEAR);
        List<Batch> reference = epoch(pets, base.withThreads(1).withPrefetch(1), 2);
        List<Batch> threaded = epoch(pets, base.withThreads(3).withPrefetch(5).withCache(false), 2);
        assertEquals(reference.size(), threaded.size());
        for (int i = 0; i < reference.size(); i++) {
            assertEquals(reference.get(i).names(), threaded.get(i).names());
            assertArrayEquals(reference.get(i).images().data(), threaded.get(i).images().data());
            assertArrayEquals(reference.get(i).masks(), threaded.get(i).masks());
        }
        List<Batch> otherEpoch = epoch(pets, base, 3);
        assertNotEquals(reference.get(0).names(), otherEpoch.get(0).names());
    }

    @Test
    void cachedEpochsReuseDecodedSamples() throws Exception {
        OxfordPets pets = maskShapedDataset();
        try (PetLoader loader = new PetLoader(pets.trainval(), LoaderOptions.of(12, 12, 1), new SkippedFiles(null))) {
            loader.epoch(0).forEach(b -> { });
            // Delete the files: a cached loader no longer needs them.
            for (PetEntry e : pets.trainval()) {
                Files.delete(e.image());
            }
            int seen = 0;
            for (Batch b : loader.epoch(1)) {
                seen += b.size();
            }
            assertEquals(12, seen);
        }
    }

    @Test
    void evaluationKeepsOrderAndOriginalSizesWithoutAugmentation() throws Exception {
        OxfordPets pets = maskShapedDataset();
        LoaderOptions options = LoaderOptions.of(6, 2, 1).withDropLast(true); // evaluation never drops
        try (PetLoader loader = new PetLoader(pets.test(), options, new SkippedFiles(null))) {
            List<String> names = new ArrayList<>();
            for (EvalBatch b : loader.evaluation()) {
                names.addAll(b.batch().names());
                b.originalSizes().forEach(s -> assertEquals(new EvalBatch.ImageSize(12, 10), s));
                float[] x = b.batch().images().data();
                for (float v : x) {
                    assertTrue(v == 0f || v == 1f || Math.abs(v - 128 / 255f) < 1e-6, "unaugmented value " + v);
                }
            }
            assertEquals(List.of("pet_0", "pet_1", "pet_2", "pet_3", "pet_4"), names);
        }
    }

    @Test
    void badFilesAreSkippedReportedOnceAndCounted() throws Exception {
        OxfordPets pets = maskShapedDataset();
        // A truncated image, a .mat-like junk file, a mask of the wrong size, a trimap value 7.
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(TestImages.gradient(12, 10), "jpeg", jpeg);
        Files.write(pets.imageFile("pet_1"), java.util.Arrays.copyOf(jpeg.toByteArray(), jpeg.size() / 2));
        Files.writeString(pets.imageFile("pet_2"), "MATLAB 5.0 MAT-file junk");
        TestImages.writeTrimap(3, 1, new int[]{1, 2, 3}, pets.trimapFile("pet_3"));
        int[] seven = new int[120];
        java.util.Arrays.fill(seven, 2);
        seven[5] = 7;
        TestImages.writeTrimap(12, 10, seven, pets.trimapFile("pet_4"));

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        SkippedFiles skipped = new SkippedFiles(new PrintStream(log, true));
        int samples = 0;
        try (PetLoader loader = new PetLoader(pets.trainval(), LoaderOptions.of(12, 4, 5).withCache(false), skipped)) {
            for (int epoch = 0; epoch < 2; epoch++) {
                for (Batch b : loader.epoch(epoch)) {
                    samples += b.size();
                    assertTrue(b.names().stream().noneMatch(n -> List.of("pet_1", "pet_2", "pet_3", "pet_4").contains(n)));
                }
            }
        }
        assertEquals(2 * 8, samples);
        assertEquals(4, skipped.count());
        long warnings = log.toString().lines().filter(l -> l.startsWith("warning: skipping ")).count();
        assertEquals(4, warnings, log.toString());
        assertTrue(log.toString().contains("pet_1.jpg: the ffc4 segment at byte 210 runs past the end (truncated)"), log.toString());
        assertTrue(log.toString().contains("pet_2.jpg: not an image"));
        assertTrue(log.toString().contains("pet_3.png: mask is 3x1 but its image pet_3.jpg is 12x10"));
        assertTrue(log.toString().contains("pet_4.png: trimap value 7"));
        assertTrue(skipped.summary().startsWith("4 files skipped (see warnings above)"), skipped.summary());
    }
}
