package dev.depthwise.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    private static final int W = 10;
    private static final int H = 8;

    @TempDir
    Path tmp;

    /** Class indices 0..classes-1 with a few 255s, drawn from the seed. */
    private static int[] maskValues(long seed, int classes) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] v = new int[W * H];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextInt(10) == 0 ? Mask.IGNORE : rng.nextInt(classes);
        }
        return v;
    }

    static void writeGreyMask(int[] values, Path file) throws Exception {
        TestImages.writeTrimap(W, H, values, file);
    }

    /** A palette PNG whose indices are the values (VOC's way): the colours must never be read as classes. */
    static void writePaletteMask(int[] values, Path file) throws Exception {
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) {
            r[i] = (byte) (i * 37);
            g[i] = (byte) (255 - i);
            b[i] = (byte) (i * 11);
        }
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 256, r, g, b));
        image.getRaster().setPixels(0, 0, W, H, values);
        TestImages.write(image, "png", file);
    }

    private static BufferedImage photo(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                image.setRGB(x, y, rng.nextInt(1 << 24));
            }
        }
        return image;
    }

    /** Plain folders with {@code n} samples of 4 classes; masks as palette or grey PNGs. */
    private Path folders(String name, int n, boolean palette, boolean classesFile) throws Exception {
        Path dir = tmp.resolve(name);
        for (int i = 0; i < n; i++) {
            TestImages.write(photo(i), "png", dir.resolve("images/s" + i + ".png"));
            int[] values = maskValues(100 + i, 4);
            if (palette) {
                writePaletteMask(values, dir.resolve("masks/s" + i + ".png"));
            } else {
                writeGreyMask(values, dir.resolve("masks/s" + i + ".png"));
            }
        }
        if (classesFile) {
            Files.writeString(dir.resolve("classes.txt"), "background\ncat\ndog\nbird\n");
        }
        return dir;
    }

    /** The split in list order, not augmented. */
    private static List<Batch> batches(Dataset data, Split split) {
        List<Batch> out = new ArrayList<>();
        try (PetLoader loader = data.loader(split, LoaderOptions.of(W, 4, 3), new SkippedFiles(null))) {
            loader.evaluation().forEach(b -> out.add(b.batch()));
        }
        return out;
    }

    private static void assertSameBatches(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).images().data(), b.get(i).images().data());
            assertArrayEquals(a.get(i).masks(), b.get(i).masks());
            assertEquals(a.get(i).names(), b.get(i).names());
        }
    }

    @Test
    void foldersPaletteMasksAndTheirGreyTwinsGiveIdenticalBatches() throws Exception {
        Dataset grey = Datasets.open(folders("grey", 10, false, true));
        Dataset palette = Datasets.open(folders("palette", 10, true, true));
        assertEquals(Layout.FOLDERS, grey.layout());
        assertEquals(List.of("background", "cat", "dog", "bird"), palette.classNames());
        assertTrue(grey.seededSplit());
        assertEquals(8, grey.entries(Split.TRAINVAL).size());
        assertEquals(2, grey.entries(Split.TEST).size());
        List<Batch> a = batches(grey, Split.TRAINVAL);
        assertSameBatches(a, batches(palette, Split.TRAINVAL));
        // 255 comes through as the ignore index, and the classes are the indices, not palette colours.
        SampleFiles first = palette.entries(Split.TRAINVAL).get(0);
        int[] expected = maskValues(100 + Integer.parseInt(first.name().substring(1)), 4);
        Mask read = palette.masks().read(first.mask());
        for (int p = 0; p < expected.length; p++) {
            assertEquals(expected[p], read.get(p % W, p / W), "pixel " + p);
        }
    }

    @Test
    void withoutClassesFileTheClassesAreCountedWithAWarning() throws Exception {
        Dataset data = Datasets.open(folders("counted", 4, false, false));
        assertEquals(4, data.numClasses());
        assertTrue(data.warnings().get(0).contains("no classes.txt: 4 classes"), data.warnings().toString());
    }

    @Test
    void aSeededSplitRepeatsAndIsReadBackFromTheRunDirectory() throws Exception {
        Path dir = folders("split", 10, false, true);
        Dataset a = Datasets.open(dir, Datasets.Options.DEFAULT.withSeed(5));
        assertEquals(a.entries(Split.TEST), Datasets.open(dir, Datasets.Options.DEFAULT.withSeed(5)).entries(Split.TEST));
        Path run = tmp.resolve("run");
        a.writeSplit(run);
        // Another seed, but the saved split wins.
        Dataset b = Datasets.open(dir, Datasets.Options.DEFAULT.withSeed(99).withSavedSplit(run));
        assertFalse(b.seededSplit());
        assertEquals(a.entries(Split.TRAINVAL), b.entries(Split.TRAINVAL));
        assertEquals(a.entries(Split.TEST), b.entries(Split.TEST));
    }

    @Test
    void splitListsTakeStemsPathsAndPairsAndSkipMalformedLines() throws Exception {
        Path dir = folders("lists", 4, false, true);
        Path train = dir.resolve("train.txt");
        Files.writeString(train, "s0\nimages/s1.png\nimages/s2.png masks/s2.png\n# comment\na b c\n"
                + "../lists2/images/s3.png\n../../etc/passwd\nimages/s0.png /etc/passwd\n");
        Files.writeString(dir.resolve("val.txt"), "s3\n");
        Dataset data = Datasets.open(dir);
        assertFalse(data.seededSplit());
        assertEquals(List.of("s0", "s1", "s2"), data.entries(Split.TRAINVAL).stream().map(SampleFiles::name).toList());
        assertEquals(dir.resolve("images/s0.png"), data.entries(Split.TRAINVAL).get(0).image());
        assertEquals(List.of(
                "skipping line 5 of " + train + " ('a b c'): expected a name, a path, or 'image mask', got 3 fields",
                "skipping line 6 of " + train + " ('../lists2/images/s3.png'): '../lists2/images/s3.png' leads outside the dataset folder",
                "skipping line 7 of " + train + " ('../../etc/passwd'): '../../etc/passwd' leads outside the dataset folder",
                "skipping line 8 of " + train + " ('images/s0.png /etc/passwd'): '/etc/passwd' leads outside the dataset folder"),
                data.warnings());
    }

    @Test
    void aRepeatedListLineIsSkippedAndASampleInBothSplitsIsSaid() throws Exception {
        Path dir = folders("repeats", 4, false, true);
        Path train = dir.resolve("train.txt");
        // A Windows editor's list: byte order mark, CRLF line ends; s1 is listed twice under two spellings.
        Files.writeString(train, "\uFEFFs0\r\ns1\r\nimages/s1.png\r\ns2\r\n");
        Files.writeString(dir.resolve("val.txt"), "s3\ns2\n");
        Dataset data = Datasets.open(dir);
        assertEquals(List.of("s0", "s1", "s2"), data.entries(Split.TRAINVAL).stream().map(SampleFiles::name).toList());
        assertEquals(List.of(
                "skipping line 3 of " + train + " ('images/s1.png'): the same sample as line 2",
                "1 of the 2 val pairs are also in the train list (first: s2): their metrics are not held out"),
                data.warnings());
    }

    @Test
    void aMaskSavedAsJpegIsSkippedNamingWhy() throws Exception {
        Path dir = folders("jpeg-mask", 2, false, true);
        BufferedImage flat = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY); // all class 0: in range after JPEG
        Path mask = dir.resolve("masks/s1.png");
        TestImages.write(flat, "jpg", mask);
        Dataset data = Datasets.open(dir);
        BadFileException e = assertThrows(BadFileException.class, () -> data.masks().read(mask));
        assertEquals(mask + ": holds JPEG data; a mask must be lossless (PNG, GIF or BMP), since JPEG blurs the class"
                + " values at every edge", e.getMessage());
        data.masks().read(dir.resolve("masks/s0.png"));
        assertThrows(BadFileException.class, () -> ImageDecoder.readTrimap(mask));
    }

    @Test
    void classAndColourFilesFromWindowsEditorsReadAsWritten() throws Exception {
        Path dir = folders("windows", 2, false, false);
        Files.writeString(dir.resolve("classes.txt"), "\uFEFFbackground\r\ncat\r\ndog\r\nbird\r\n\r\n");
        assertEquals(List.of("background", "cat", "dog", "bird"), Datasets.open(dir).classNames());
        Path colors = Files.writeString(tmp.resolve("colors.txt"), "\uFEFF0,0,0 void\r\n128,0,0 building\r\n");
        assertEquals(List.of("void", "building"), ColorMap.read(colors).names());
    }

    @Test
    void aBlankLineAmongTheClassNamesIsRefusedNamingIt() throws Exception {
        Path dir = folders("blank", 2, false, false);
        Path classes = Files.writeString(dir.resolve("classes.txt"), "background\n\ncat\ndog\nbird\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Datasets.open(dir));
        assertEquals(classes + " line 2 is blank: each line names the class of its index, 0 first; name the class"
                + " or remove the line", e.getMessage());
    }

    @Test
    void vocSplitListsSkipAMalformedLineNamingIt() throws Exception {
        Path dir = tmp.resolve("voc-lists");
        for (String name : List.of("2007_000001", "2007_000002")) {
            TestImages.write(photo(1), "jpg", dir.resolve("JPEGImages/" + name + ".jpg"));
            writePaletteMask(maskValues(1, 21), dir.resolve("SegmentationClass/" + name + ".png"));
        }
        Path lists = Files.createDirectories(dir.resolve("ImageSets/Segmentation"));
        byte[] text = "2007_000001\n2007_000001 extra words\n..\nbad".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] notUtf8 = java.util.Arrays.copyOf(text, text.length + 1);
        notUtf8[text.length] = (byte) 0xff;
        Files.write(lists.resolve("train.txt"), notUtf8);
        Files.writeString(lists.resolve("val.txt"), "2007_000002\n");
        Dataset voc = Datasets.open(dir);
        assertEquals(Layout.VOC, voc.layout());
        assertEquals(List.of("2007_000001"), voc.entries(Split.TRAINVAL).stream().map(SampleFiles::name).toList());
        assertEquals(List.of("2007_000002"), voc.entries(Split.TEST).stream().map(SampleFiles::name).toList());
        Path train = lists.resolve("train.txt");
        assertEquals(List.of(
                "skipping line 2 of " + train + " ('2007_000001 extra words'): expected a name, a path, or 'image mask', got 3 fields",
                "skipping line 3 of " + train + " ('..'): '..' is not a plain file name",
                "skipping line 4 of " + train + " ('bad\uFFFD'): holds bytes that are not UTF-8"),
                voc.warnings());
    }

    @Test
    void aVocFolderWithoutSplitListsSaysTheSplitIsDrawn() throws Exception {
        Path dir = tmp.resolve("voc-no-lists");
        for (int i = 0; i < 5; i++) {
            TestImages.write(photo(i), "jpg", dir.resolve("JPEGImages/2007_00000" + i + ".jpg"));
            writePaletteMask(maskValues(400 + i, 21), dir.resolve("SegmentationClass/2007_00000" + i + ".png"));
        }
        Dataset voc = Datasets.open(dir, Datasets.Options.DEFAULT.withSeed(7));
        assertEquals(Layout.VOC, voc.layout());
        assertEquals(4, voc.entries(Split.TRAINVAL).size());
        assertEquals(List.of(dir + ": no ImageSets/Segmentation/train.txt, so the split is drawn from seed 7: 1 of 5"
                + " images held out for validation"), voc.warnings());

        // With train.txt alone, the list still missing is the one named.
        Files.createDirectories(dir.resolve("ImageSets/Segmentation"));
        Files.writeString(dir.resolve("ImageSets/Segmentation/train.txt"), "2007_000000\n");
        assertEquals(List.of(dir + ": no ImageSets/Segmentation/val.txt, so the split is drawn from seed 7: 1 of 5"
                + " images held out for validation"), Datasets.open(dir, Datasets.Options.DEFAULT.withSeed(7)).warnings());
    }

    @Test
    void vocLayoutReadsPaletteIndicesWithVocNames() throws Exception {
        Path dir = tmp.resolve("voc");
        Path twin = tmp.resolve("voc-grey");
        List<String> names = List.of("2007_000001", "2007_000002", "2007_000003");
        for (int i = 0; i < names.size(); i++) {
            int[] values = maskValues(200 + i, 21);
            for (Path d : List.of(dir, twin)) {
                TestImages.write(photo(i), "jpg", d.resolve("JPEGImages/" + names.get(i) + ".jpg"));
                Files.createDirectories(d.resolve("ImageSets/Segmentation"));
                Files.writeString(d.resolve("ImageSets/Segmentation/train.txt"), names.get(0) + "\n" + names.get(1) + "\n");
                Files.writeString(d.resolve("ImageSets/Segmentation/val.txt"), names.get(2) + "\n");
            }
            writePaletteMask(values, dir.resolve("SegmentationClass/" + names.get(i) + ".png"));
            writeGreyMask(values, twin.resolve("SegmentationClass/" + names.get(i) + ".png"));
        }
        Dataset voc = Datasets.open(dir);
        assertEquals(Layout.VOC, voc.layout());
        assertEquals(21, voc.numClasses());
        assertEquals("aeroplane", voc.classNames().get(1));
        assertEquals(2, voc.entries(Split.TRAINVAL).size());
        assertSameBatches(batches(voc, Split.TRAINVAL), batches(Datasets.open(twin), Split.TRAINVAL));
        assertSameBatches(batches(voc, Split.TEST), batches(Datasets.open(twin), Split.TEST));
    }

    @Test
    void colourMasksMapThroughTheColourFileAndAnUnknownColourIsNamed() throws Exception {
        Path dir = tmp.resolve("colors");
        int[] palette = {0x000000, 0x800000, 0x008000};
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("colors.txt"), "0,0,0 void\n128,0,0 building\n0,128,0 tree\n");
        for (int i = 0; i < 3; i++) {
            TestImages.write(photo(i), "png", dir.resolve("images/c" + i + ".png"));
            int[] values = maskValues(300 + i, 3);
            BufferedImage mask = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
            for (int p = 0; p < values.length; p++) {
                int v = values[p] == Mask.IGNORE ? 0 : values[p];
                mask.setRGB(p % W, p / W, palette[v]);
            }
            if (i == 2) {
                mask.setRGB(3, 4, 0x123456);
            }
            TestImages.write(mask, "png", dir.resolve("masks/c" + i + ".png"));
        }
        Files.writeString(dir.resolve("train.txt"), "c0\nc2\n");
        Files.writeString(dir.resolve("val.txt"), "c1\n");
        Dataset data = Datasets.open(dir);
        assertEquals(Layout.COLORS, data.layout());
        assertEquals(List.of("void", "building", "tree"), data.classNames());
        Mask m = data.masks().read(dir.resolve("masks/c0.png"));
        int[] values = maskValues(300, 3);
        for (int p = 0; p < values.length; p++) {
            assertEquals(values[p] == Mask.IGNORE ? 0 : values[p], m.get(p % W, p / W));
        }
        SkippedFiles skipped = new SkippedFiles(null);
        try (PetLoader loader = data.loader(Split.TRAINVAL, LoaderOptions.of(W, 4, 0), skipped)) {
            loader.epoch(0).forEach(b -> assertEquals(List.of("c0"), b.names()));
        }
        assertEquals(List.of(dir.resolve("masks/c2.png")), skipped.files());
        assertTrue(skipped.reason(dir.resolve("masks/c2.png")).contains("colour 18,52,86 at (3,4)"),
                skipped.reason(dir.resolve("masks/c2.png")));
    }

    @Test
    void badFilesAreSkippedAndNamedAndOnlyTheRestLoad() throws Exception {
        Path dir = folders("bad", 6, false, true);
        int[] outside = maskValues(1, 4);
        outside[7] = 9;
        writeGreyMask(outside, dir.resolve("masks/s1.png"));
        Files.delete(dir.resolve("masks/s2.png"));
        Files.write(dir.resolve("images/s3.png"), new byte[] {1, 2, 3});
        Files.writeString(dir.resolve("train.txt"), "s0\ns1\ns2\ns3\ns4\n");
        Files.writeString(dir.resolve("val.txt"), "s5\n");
        SkippedFiles skipped = new SkippedFiles(null);
        List<String> loaded = new ArrayList<>();
        try (PetLoader loader = Datasets.open(dir).loader(Split.TRAINVAL, LoaderOptions.of(W, 8, 0), skipped)) {
            loader.epoch(0).forEach(b -> loaded.addAll(b.names()));
        }
        assertEquals(List.of("s0", "s4"), loaded.stream().sorted().toList());
        assertEquals(3, skipped.count());
        assertTrue(skipped.reason(dir.resolve("masks/s1.png")).contains("mask value 9 at (7,0) is outside the classes 0-3"),
                skipped.reason(dir.resolve("masks/s1.png")));
        assertTrue(skipped.reason(dir.resolve("masks/s2.png")).contains("file not found"));
        assertTrue(skipped.files().contains(dir.resolve("images/s3.png")));
    }

    @Test
    void anImageLinkThatLeadsNowhereIsSkippedAndNamed() throws Exception {
        Path dir = folders("links", 3, false, true);
        Files.delete(dir.resolve("images/s1.png"));
        Path link = Files.createSymbolicLink(dir.resolve("images/s1.png"), dir.resolve("elsewhere/s1.png"));
        Dataset data = Datasets.open(dir);
        assertTrue(data.entries(Split.TRAINVAL).stream().anyMatch(f -> f.image().equals(link))
                || data.entries(Split.TEST).stream().anyMatch(f -> f.image().equals(link)), "left out in silence");
        BadFileException e = assertThrows(BadFileException.class, () -> data.load(new SampleFiles("s1", link,
                dir.resolve("masks/s1.png")), DecodeLimits.DEFAULT, new SkippedFiles(null)));
        assertTrue(e.getMessage().endsWith("a symbolic link that leads nowhere (a loop, or its target is missing)"),
                e.getMessage());
    }

    @Test
    void thePetLayoutOpensAsBefore() throws Exception {
        List<String> names = List.of("a_1", "b_2");
        for (String n : names) {
            TestImages.write(photo(1), "png", tmp.resolve("pets/images/" + n + ".jpg"));
            TestImages.writeTrimap(W, H, new int[W * H], tmp.resolve("pets/annotations/trimaps/" + n + ".png"));
        }
        TestImages.writeLists(tmp.resolve("pets"), names, names.subList(0, 1));
        Dataset data = Datasets.open(tmp.resolve("pets"));
        assertEquals(Layout.PETS, data.layout());
        assertEquals(Mask.BACKGROUND, data.backgroundClass());
        OxfordPets pets = OxfordPets.open(tmp.resolve("pets"));
        assertEquals(pets.trainval().stream().map(PetEntry::trimap).toList(),
                data.entries(Split.TRAINVAL).stream().map(SampleFiles::mask).toList());
    }

    @Test
    void aFolderInNoLayoutSaysWhatWasExpected() throws Exception {
        Files.createDirectories(tmp.resolve("empty"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Datasets.open(tmp.resolve("empty")));
        assertTrue(e.getMessage().contains("images/ and masks/"), e.getMessage());
    }
}
