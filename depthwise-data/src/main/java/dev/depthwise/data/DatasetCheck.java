package dev.depthwise.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What {@code depthwise dataset check} reports: every sample of both splits decoded once, with each fault
 * named by its file (unreadable or corrupt files, a mask missing or of another size than its image, mask
 * values outside the classes, colours missing from the colour map, masks without an image), the class
 * histogram (pixels and images per class, the share of ignored pixels) and the range of image sizes.
 *
 * @param pairs     samples listed per split, by the layout's split names
 * @param problems  one line per faulty file, naming it
 * @param classes   the histogram, one entry per class
 * @param warnings  the dataset's own warnings and notes on odd files read all the same
 */
public record DatasetCheck(String dir, String layout, Map<String, Integer> pairs, List<Problem> problems,
                           List<ClassCount> classes, long pixels, long ignoredPixels, Size smallest, Size largest,
                           List<String> warnings) {

    /** A file that cannot be used, and why. */
    public record Problem(String file, String reason) {
    }

    /** A class's pixels and the number of images it appears in. */
    public record ClassCount(String name, long pixels, int images) {
    }

    /** An image size in pixels. */
    public record Size(int width, int height) {
    }

    /** True when every file was usable and both splits have samples. */
    public boolean ok() {
        return problems.isEmpty() && pairs.values().stream().allMatch(n -> n > 0);
    }

    public double ignoredShare() {
        return pixels == 0 ? 0 : (double) ignoredPixels / pixels;
    }

    /** Checks every sample of {@code data} within the default decode limits. */
    public static DatasetCheck run(Dataset data) {
        return run(data, DecodeLimits.DEFAULT);
    }

    /** Checks every sample of {@code data}; an image whose header declares more pixels than {@code limits} is a fault. */
    public static DatasetCheck run(Dataset data, DecodeLimits limits) {
        Map<String, Integer> pairs = new LinkedHashMap<>();
        Map<Path, SampleFiles> samples = new LinkedHashMap<>();
        for (Split split : Split.values()) {
            pairs.put(data.splitName(split), data.entries(split).size());
            data.entries(split).forEach(f -> samples.putIfAbsent(f.image(), f));
        }
        int k = data.numClasses();
        long[] pixelsPerClass = new long[k];
        int[] imagesPerClass = new int[k];
        long pixels = 0;
        long ignored = 0;
        int minW = Integer.MAX_VALUE;
        int minH = Integer.MAX_VALUE;
        int maxW = 0;
        int maxH = 0;
        List<Problem> problems = new ArrayList<>();
        SkippedFiles notes = new SkippedFiles(null);
        // Decoding dominates; samples are decoded in parallel and merged in list order.
        List<Object> results = samples.values().parallelStream().map(f -> {
            try {
                return (Object) data.load(f, limits, notes);
            } catch (BadFileException e) {
                return e;
            }
        }).toList();
        Map<String, List<String>> filesByUnknownColor = new TreeMap<>();
        for (Object r : results) {
            if (r instanceof BadFileException e) {
                problems.add(new Problem(e.file().toString(), e.getMessage().substring(e.file().toString().length() + 2)));
                if (e instanceof Masks.UnknownColorsException u) {
                    u.colors().forEach(c -> filesByUnknownColor.computeIfAbsent(c, x -> new ArrayList<>())
                            .add(e.file().getFileName().toString()));
                }
                continue;
            }
            PetSample s = (PetSample) r;
            Mask m = s.mask();
            minW = Math.min(minW, m.width());
            minH = Math.min(minH, m.height());
            maxW = Math.max(maxW, m.width());
            maxH = Math.max(maxH, m.height());
            boolean[] seen = new boolean[k];
            for (byte b : m.classes()) {
                int c = b & 0xff;
                pixels++;
                if (c == Mask.IGNORE) {
                    ignored++;
                } else if (c < k) {
                    pixelsPerClass[c]++;
                    seen[c] = true;
                }
            }
            for (int c = 0; c < k; c++) {
                imagesPerClass[c] += seen[c] ? 1 : 0;
            }
        }
        problems.addAll(unpairedMasks(data, samples));
        filesByUnknownColor.forEach((color, files) -> problems.add(new Problem(data.dir().toString(), "colour " + color
                + " is not in the colour map; it is in " + String.join(", ", files))));
        List<ClassCount> classes = new ArrayList<>(k);
        for (int c = 0; c < k; c++) {
            classes.add(new ClassCount(data.classNames().get(c), pixelsPerClass[c], imagesPerClass[c]));
        }
        List<String> warnings = new ArrayList<>(data.warnings());
        notes.notedFiles().forEach(f -> warnings.add("read " + f + " by its content (its name says another format)"));
        for (Map.Entry<String, Integer> e : pairs.entrySet()) {
            if (e.getValue() == 0) {
                problems.add(new Problem(data.dir().toString(), "the " + e.getKey() + " split is empty"));
            }
        }
        return new DatasetCheck(data.dir().toString(), data.layout().cliName(), pairs, problems, classes, pixels, ignored,
                pixels == 0 ? null : new Size(minW, minH), pixels == 0 ? null : new Size(maxW, maxH), warnings);
    }

    /** Masks in the mask folder that no listed image pairs with (outside the pet layout). */
    private static List<Problem> unpairedMasks(Dataset data, Map<Path, SampleFiles> samples) {
        if (data.layout() == Layout.PETS || samples.isEmpty()) {
            return List.of();
        }
        Path masks = samples.values().iterator().next().mask().getParent();
        Set<Path> used = new HashSet<>();
        samples.values().forEach(f -> used.add(f.mask()));
        List<Problem> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(masks)) {
            files.sorted().filter(p -> !used.contains(p) && !p.getFileName().toString().startsWith("."))
                    .forEach(p -> out.add(new Problem(p.toString(), "a mask with no listed image")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + masks + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The report as text, ending with the verdict. */
    public String text() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s: %s layout, %d classes%n", dir, layout, classes.size()));
        pairs.forEach((split, n) -> s.append(String.format(Locale.ROOT, "  %-8s %d pairs%n", split, n)));
        if (smallest != null) {
            s.append(String.format(Locale.ROOT, "  image sizes %dx%d to %dx%d%n", smallest.width(), smallest.height(),
                    largest.width(), largest.height()));
        }
        s.append(String.format(Locale.ROOT, "  %-20s %14s %8s %8s%n", "class", "pixels", "share", "images"));
        for (int c = 0; c < classes.size(); c++) {
            ClassCount cc = classes.get(c);
            s.append(String.format(Locale.ROOT, "  %-20s %14d %7.2f%% %8d%n", c + " " + cc.name(), cc.pixels(),
                    pixels == 0 ? 0 : 100.0 * cc.pixels() / pixels, cc.images()));
        }
        s.append(String.format(Locale.ROOT, "  %-20s %14d %7.2f%%%n", "ignored (255)", ignoredPixels, 100 * ignoredShare()));
        warnings.forEach(w -> s.append("warning: ").append(w).append(System.lineSeparator()));
        problems.forEach(p -> s.append("problem: ").append(p.file()).append(": ").append(p.reason())
                .append(System.lineSeparator()));
        s.append(ok() ? "ok" : problems.size() + (problems.size() == 1 ? " problem" : " problems")).append(System.lineSeparator());
        return s.toString();
    }

    /** One line for the start of a training run. */
    public String summaryLine() {
        StringBuilder s = new StringBuilder("dataset: " + layout + " layout, " + classes.size() + " classes, ");
        pairs.forEach((split, n) -> s.append(n).append(' ').append(split).append(" + "));
        s.setLength(s.length() - 3);
        s.append(" pairs, ").append(String.format(Locale.ROOT, "%.1f%% of pixels ignored", 100 * ignoredShare()));
        if (smallest != null) {
            s.append(String.format(Locale.ROOT, ", images %dx%d to %dx%d", smallest.width(), smallest.height(),
                    largest.width(), largest.height()));
        }
        s.append(problems.isEmpty() ? ", no problems" : ", " + problems.size()
                + " problem(s), those files are skipped (see 'depthwise dataset check')");
        return s.toString();
    }
}
