package dev.depthwise.data;

import dev.depthwise.engine.IoErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Opens a segmentation dataset in any of the {@link Layout}s, detected from the folder unless one is forced:
 * <ul>
 *   <li>{@code annotations/trimaps/}: Oxford-IIIT Pet ({@link OxfordPets}), exactly as before;</li>
 *   <li>{@code JPEGImages/} and {@code SegmentationClass/}: Pascal VOC, lists in {@code ImageSets/Segmentation/};</li>
 *   <li>{@code images/} and {@code masks/}: plain folders, or colour masks when a colour map is given
 *       ({@code --colors FILE}, or {@code colors.txt} in the folder).</li>
 * </ul>
 * Outside the pet layout: images pair with {@code masks/STEM.png} by file stem (any image extension);
 * {@code classes.txt} names the classes, one per line (without it, the classes are counted from the largest
 * mask value, with a warning; VOC has its 21); {@code train.txt} and {@code val.txt} list the split (a stem,
 * an image path relative to the folder, or {@code image mask} paths per line); without them the split is
 * drawn from the seed (a fifth held out by default), or read back from a run's saved split.
 */
public final class Datasets {
    /** Pascal VOC's classes, index 0 to 20. */
    public static final List<String> VOC_CLASSES = List.of("background", "aeroplane", "bicycle", "bird", "boat",
            "bottle", "bus", "car", "cat", "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person",
            "pottedplant", "sheep", "sofa", "train", "tvmonitor");
    /** The pet trimap classes in {@link Mask} order. */
    public static final List<String> PET_CLASSES = List.of("pet", "background", "border");

    private static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "gif", "bmp");

    /**
     * How to open a dataset.
     *
     * @param layout      null to detect it
     * @param colors      the colour map of a colour-mask dataset, or null (then {@code colors.txt} if present)
     * @param classNames  the classes when already known (a checkpoint's), or null to read or count them
     * @param seed        draws the split when the dataset has no lists
     * @param valFraction the share held out by a drawn split
     * @param savedSplit  a run directory whose {@code split/} holds a split written before, or null
     */
    public record Options(Layout layout, Path colors, List<String> classNames, long seed, double valFraction,
                          Path savedSplit) {
        public static final Options DEFAULT = new Options(null, null, null, 0, 0.2, null);

        public Options {
            if (!(valFraction > 0 && valFraction < 1)) {
                throw new IllegalArgumentException("validation share " + valFraction + " must be in (0, 1)");
            }
        }

        public Options withLayout(Layout value) {
            return new Options(value, colors, classNames, seed, valFraction, savedSplit);
        }

        public Options withColors(Path value) {
            return new Options(layout, value, classNames, seed, valFraction, savedSplit);
        }

        public Options withClassNames(List<String> value) {
            return new Options(layout, colors, value, seed, valFraction, savedSplit);
        }

        public Options withSeed(long value) {
            return new Options(layout, colors, classNames, value, valFraction, savedSplit);
        }

        public Options withSavedSplit(Path runDir) {
            return new Options(layout, colors, classNames, seed, valFraction, runDir);
        }
    }

    private Datasets() {
    }

    /** Opens {@code dir}, detecting its layout. */
    public static Dataset open(Path dir) {
        return open(dir, Options.DEFAULT);
    }

    public static Dataset open(Path dir, Options options) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("data directory " + dir
                    + (Files.exists(dir) ? " is a file, not a directory" : " does not exist"));
        }
        Layout layout = options.layout() != null ? options.layout() : detect(dir, options);
        return switch (layout) {
            case PETS -> pets(dir);
            case VOC -> paired(dir, Layout.VOC, "JPEGImages", "SegmentationClass", dir.resolve("ImageSets/Segmentation"),
                    options);
            case FOLDERS, COLORS -> paired(dir, layout, "images", "masks", dir, options);
        };
    }

    /** The layout of {@code dir}, from the folders it holds. */
    public static Layout detect(Path dir, Options options) {
        if (Files.isDirectory(dir.resolve(OxfordPets.TRIMAPS))) {
            return Layout.PETS;
        }
        if (Files.isDirectory(dir.resolve("JPEGImages")) && Files.isDirectory(dir.resolve("SegmentationClass"))) {
            return Layout.VOC;
        }
        if (Files.isDirectory(dir.resolve("images")) && Files.isDirectory(dir.resolve("masks"))) {
            return options.colors() != null || Files.isRegularFile(dir.resolve("colors.txt")) ? Layout.COLORS
                    : Layout.FOLDERS;
        }
        throw new IllegalArgumentException(dir + " is in no known layout: expected images/ and masks/ (plain folders),"
                + " JPEGImages/ and SegmentationClass/ (Pascal VOC) or images/ and annotations/trimaps/ (Oxford-IIIT Pet)");
    }

    private static Dataset pets(Path dir) {
        OxfordPets pets = OxfordPets.open(dir);
        Map<Split, List<SampleFiles>> splits = new EnumMap<>(Split.class);
        List<String> warnings = new ArrayList<>();
        for (Split s : Split.values()) {
            // A malformed list line is skipped and named, as a bad pair is, rather than refusing the dataset.
            SplitListReader.Result<PetEntry> list = pets.readList(s);
            list.skipped().forEach(line -> warnings.add("skipping " + line.describe()));
            splits.put(s, list.entries().stream().map(e -> new SampleFiles(e.name(), e.image(), e.trimap())).toList());
        }
        return new Dataset(dir, Layout.PETS, PET_CLASSES, Mask.BACKGROUND, ImageDecoder::readTrimap, splits, false,
                warnings);
    }

    private static Dataset paired(Path dir, Layout layout, String imagesName, String masksName, Path listDir,
                                  Options options) {
        Path images = dir.resolve(imagesName);
        Path masks = dir.resolve(masksName);
        for (Path p : List.of(images, masks)) {
            if (!Files.isDirectory(p)) {
                throw new IllegalArgumentException(dir + " is not in the " + layout.cliName() + " layout: missing "
                        + dir.relativize(p) + "/");
            }
        }
        List<String> warnings = new ArrayList<>();
        Map<String, Path> byStem = imagesByStem(images, warnings);
        List<SampleFiles> all = new ArrayList<>();
        byStem.forEach((stem, image) -> all.add(new SampleFiles(stem, image, masks.resolve(stem + ".png"))));

        ColorMap colorMap = null;
        if (layout == Layout.COLORS) {
            Path file = options.colors() != null ? options.colors() : dir.resolve("colors.txt");
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(dir + ": colour masks need a colour map ('R,G,B name' per line):"
                        + " give --colors FILE or put colors.txt in the folder (" + file + " does not exist)");
            }
            colorMap = ColorMap.read(file);
        }
        List<String> names = classNames(dir, layout, colorMap, options, all, warnings);
        MaskReader reader = colorMap != null ? Masks.colors(colorMap) : Masks.indexed(names.size());

        Map<Split, List<SampleFiles>> splits = new EnumMap<>(Split.class);
        Path train = listDir.resolve("train.txt");
        Path val = listDir.resolve("val.txt");
        Path saved = options.savedSplit() == null ? null : options.savedSplit().resolve(Dataset.SPLIT_DIR);
        boolean seeded = false;
        if (Files.isRegularFile(train) && Files.isRegularFile(val)) {
            splits.put(Split.TRAINVAL, readList(dir, train, images, masks, warnings));
            splits.put(Split.TEST, readList(dir, val, images, masks, warnings));
        } else if (saved != null && Files.isRegularFile(saved.resolve("train.txt"))) {
            splits.put(Split.TRAINVAL, readList(dir, saved.resolve("train.txt"), images, masks, warnings));
            splits.put(Split.TEST, readList(dir, saved.resolve("val.txt"), images, masks, warnings));
        } else {
            seeded = true;
            List<List<SampleFiles>> parts = holdOut(all, options.seed(), options.valFraction());
            splits.put(Split.TRAINVAL, parts.get(0));
            splits.put(Split.TEST, parts.get(1));
            if (layout == Layout.VOC) {
                // A VOC folder is expected to bring its own split: a drawn one is not comparable with published runs.
                warnings.add(dir + ": no " + dir.relativize(Files.isRegularFile(train) ? val : train)
                        + ", so the split is drawn from seed " + options.seed() + ": " + parts.get(1).size() + " of "
                        + all.size() + " images held out for validation");
            }
        }
        return new Dataset(dir, layout, names, 0, reader, splits, seeded, warnings);
    }

    /**
     * A seeded share of {@code entries} held out (at least one when there are two or more): [kept, held out],
     * each in the order of {@code entries}.
     */
    public static List<List<SampleFiles>> holdOut(List<SampleFiles> entries, long seed, double share) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(new SplittableRandom(seed).nextLong()));
        int held = entries.size() < 2 ? 0 : Math.max(1, (int) Math.round(entries.size() * share));
        Set<Integer> heldOut = new HashSet<>(order.subList(0, held));
        List<SampleFiles> kept = new ArrayList<>();
        List<SampleFiles> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            (heldOut.contains(i) ? out : kept).add(entries.get(i));
        }
        return List.of(kept, out);
    }

    /**
     * The image files of a folder by stem, in name order; a second image with the same stem is left out, said. An
     * entry named as an image that is no file (a broken link) is kept, so that loading it names it.
     */
    private static Map<String, Path> imagesByStem(Path images, List<String> warnings) {
        Map<String, Path> byStem = new TreeMap<>();
        try (Stream<Path> files = Files.list(images)) {
            files.filter(f -> !Files.isDirectory(f)).filter(Datasets::looksLikeImage).sorted().forEach(f -> {
                Path first = byStem.putIfAbsent(stem(f), f);
                if (first != null) {
                    warnings.add(f + ": same stem as " + first + " (left out)");
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + images + ": " + IoErrors.reason(e), e);
        }
        return byStem;
    }

    /** True for a visible file named as an image ({@code .jpg .jpeg .png .gif .bmp}, any case). */
    public static boolean looksLikeImage(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return !name.startsWith(".") && dot > 0
                && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The file name without its extension. */
    public static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static List<String> classNames(Path dir, Layout layout, ColorMap colorMap, Options options,
                                           List<SampleFiles> all, List<String> warnings) {
        if (options.classNames() != null) {
            return options.classNames();
        }
        if (colorMap != null) {
            return colorMap.names();
        }
        Path file = dir.resolve("classes.txt");
        if (Files.isRegularFile(file)) {
            List<String> names = classNames(file);
            if (names.size() < 2 || names.size() > Mask.MAX_CLASSES) {
                throw new IllegalArgumentException(file + ": " + names.size() + " class names; need 2 to "
                        + Mask.MAX_CLASSES);
            }
            return names;
        }
        if (layout == Layout.VOC) {
            return VOC_CLASSES;
        }
        int largest = 0;
        for (SampleFiles f : all) {
            try {
                for (byte b : Masks.readIndices(f.mask()).classes()) {
                    int v = b & 0xff;
                    if (v != Mask.IGNORE) {
                        largest = Math.max(largest, v);
                    }
                }
            } catch (BadFileException e) {
                // reported when the sample is loaded or checked
            }
        }
        int n = Math.max(2, largest + 1);
        warnings.add("no classes.txt: " + n + " classes, from the largest mask value seen (" + largest
                + "); add classes.txt (one name per line) to name them");
        List<String> names = new ArrayList<>(n);
        for (int c = 0; c < n; c++) {
            names.add("class" + c);
        }
        return names;
    }

    /**
     * The names of {@code classes.txt}, one a line, index 0 first; {@code #} lines are comments. A blank line
     * before the last name is refused, naming it: left out, it would shift every later class down by one.
     */
    private static List<String> classNames(Path file) {
        List<String> lines = TextLines.read(file);
        List<String> names = new ArrayList<>();
        int blank = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                blank = blank == 0 ? i + 1 : blank;
            } else if (!line.startsWith("#")) {
                if (blank != 0) {
                    throw new IllegalArgumentException(file + " line " + blank + " is blank: each line names the"
                            + " class of its index, 0 first; name the class or remove the line");
                }
                names.add(line);
            }
        }
        return names;
    }

    /** A split list through {@link SplitListReader}: a malformed line is skipped and said in {@code warnings}. */
    private static List<SampleFiles> readList(Path dir, Path list, Path images, Path masks, List<String> warnings) {
        SplitListReader.Result<SampleFiles> result = SplitListReader.read(list, f -> listedSample(dir, images, masks, f));
        result.skipped().forEach(line -> warnings.add("skipping " + line.describe()));
        return result.entries();
    }

    /**
     * One split-list line: a stem, an image path relative to the dataset folder, or an image and a mask path
     * (paths may not lead outside the folder).
     */
    private static SampleFiles listedSample(Path dir, Path images, Path masks, String[] f) {
        if (f.length > 2) {
            throw new IllegalArgumentException("expected a name, a path, or 'image mask', got " + f.length + " fields");
        }
        if (f.length == 2) {
            Path image = SplitListReader.resolveInside(dir, f[0]);
            return new SampleFiles(stem(image), image, SplitListReader.resolveInside(dir, f[1]));
        }
        if (f[0].contains("/") || looksLikeImage(Path.of(f[0]))) {
            Path image = SplitListReader.resolveInside(dir, f[0]);
            return new SampleFiles(stem(image), image, masks.resolve(stem(image) + ".png"));
        }
        String stem = SplitListReader.checkName(f[0]);
        return new SampleFiles(stem, findImage(images, stem), masks.resolve(stem + ".png"));
    }

    /** The image of a stem, whatever its extension; {@code STEM.jpg} (missing, so reported when loaded) if none. */
    private static Path findImage(Path images, String stem) {
        for (String ext : List.of("jpg", "png", "jpeg", "JPG", "PNG", "JPEG", "bmp", "gif")) {
            Path p = images.resolve(stem + "." + ext);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return images.resolve(stem + ".jpg");
    }
}
