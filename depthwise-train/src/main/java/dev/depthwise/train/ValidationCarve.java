package dev.depthwise.train;

import dev.depthwise.data.Dataset;
import dev.depthwise.data.Datasets;
import dev.depthwise.data.SampleFiles;
import dev.depthwise.data.Split;
import dev.depthwise.data.SplitListReader;

import dev.depthwise.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The pairs a run trains on and the ones it holds out of its training split to choose its best epoch on, never
 * touching the test split. Drawn from the seed when a run starts and written to {@code RUN/split/validation.txt}
 * ({@link #FILE}), so that a resumed run, and {@code eval --split validation}, use the same pairs even if the
 * dataset folder has changed since.
 *
 * @param train      the training split without the held-out pairs, in the split's order
 * @param validation the held-out pairs (empty for a run without a carve), in the split's order
 */
public record ValidationCarve(List<SampleFiles> train, List<SampleFiles> validation) {
    /** The held-out pairs of a run, in its run directory: one image path relative to the dataset per line. */
    public static final String FILE = "validation.txt";

    public ValidationCarve {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }

    /**
     * A seeded {@code fraction} of the training split held out (none for 0). A pair that the test split lists too
     * is never held out: the epoch must not be chosen on a test image, even in a dataset whose lists overlap.
     *
     * @throws IllegalArgumentException when the carve would leave no pair to train on
     */
    public static ValidationCarve draw(Dataset data, double fraction, long seed) {
        List<SampleFiles> all = data.entries(Split.TRAINVAL);
        if (fraction == 0) {
            return new ValidationCarve(all, List.of());
        }
        Set<Path> testImages = new HashSet<>();
        data.entries(Split.TEST).forEach(f -> testImages.add(f.image()));
        List<SampleFiles> candidates = all.stream().filter(f -> !testImages.contains(f.image())).toList();
        // Another seed than a drawn dataset split's, so the two hold-outs are not the same draw.
        Set<SampleFiles> held = new HashSet<>(Datasets.holdOut(candidates, seed ^ 0x5A11DA7AL, fraction).get(1));
        if (held.isEmpty() || held.size() >= all.size()) {
            throw new IllegalArgumentException("--validation-fraction " + fraction + " holds out " + held.size() + " of the "
                    + all.size() + " pairs of the " + data.splitName(Split.TRAINVAL) + " split of " + data.dir()
                    + (held.isEmpty() ? ", none to choose an epoch on" : ", none to train on")
                    + " (give another fraction, or 0 for no validation carve)");
        }
        return new ValidationCarve(all.stream().filter(f -> !held.contains(f)).toList(),
                all.stream().filter(held::contains).toList());
    }

    /**
     * The carve saved in {@code runDir}, or null when there is none. A listed pair that is no longer in the
     * training split is left out and said in {@code warnings}, as a bad split-list line is.
     */
    public static ValidationCarve read(Dataset data, Path runDir, Consumer<String> warnings) {
        Path file = runDir.resolve(Dataset.SPLIT_DIR).resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        Map<String, SampleFiles> byName = new LinkedHashMap<>();
        data.entries(Split.TRAINVAL).forEach(f -> byName.put(data.listName(f), f));
        SplitListReader.Result<SampleFiles> listed = SplitListReader.read(file, fields -> {
            SampleFiles f = byName.get(String.join(" ", fields));
            if (f == null) {
                throw new IllegalArgumentException("not a pair of the " + data.splitName(Split.TRAINVAL) + " split of "
                        + data.dir());
            }
            return f;
        });
        listed.skipped().forEach(line -> warnings.accept("skipping " + line.describe()));
        Set<SampleFiles> held = new HashSet<>(listed.entries());
        return new ValidationCarve(byName.values().stream().filter(f -> !held.contains(f)).toList(),
                byName.values().stream().filter(held::contains).toList());
    }

    /** Writes the held-out pairs to {@code runDir/split/validation.txt}, atomically (a resumed run reads them). */
    public void write(Dataset data, Path runDir) throws IOException {
        Path dir = runDir.resolve(Dataset.SPLIT_DIR);
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve(FILE), data.listText(validation).getBytes(StandardCharsets.UTF_8));
    }
}
