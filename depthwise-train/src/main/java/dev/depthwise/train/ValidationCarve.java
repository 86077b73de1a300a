package dev.depthwise.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.depthwise.data.Dataset;
import dev.depthwise.data.Datasets;
import dev.depthwise.data.SampleFiles;
import dev.depthwise.data.Split;
import dev.depthwise.engine.OneLine;
import dev.depthwise.io.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
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
 * touching the test split. Drawn from the seed when a run starts and written to {@code RUN/split/validation.json}
 * ({@link #FILE}), so that a resumed run, and {@code eval --split carve}, use the same pairs even if the
 * dataset folder has changed since.
 *
 * @param train      the training split without the held-out pairs, in the split's order
 * @param validation the held-out pairs (empty for a run without a carve), in the split's order
 */
public record ValidationCarve(List<SampleFiles> train, List<SampleFiles> validation) {
    /**
     * The held-out pairs of a run, in its run directory: a JSON list of image paths relative to the dataset, one a
     * line. JSON, not a plain list split on white space, so that any file name (two spaces in a row, a tab, a
     * leading {@code #}) reads back exactly.
     */
    public static final String FILE = "validation.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectWriter ONE_NAME_A_LINE = JSON.writer(new DefaultPrettyPrinter()
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

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
     * training split is left out and said in {@code warnings}, as a bad split-list line is; a file that is not a
     * JSON list of names is an {@link IllegalArgumentException} naming it.
     */
    public static ValidationCarve read(Dataset data, Path runDir, Consumer<String> warnings) {
        Path file = runDir.resolve(Dataset.SPLIT_DIR).resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        Map<String, SampleFiles> byName = new LinkedHashMap<>();
        data.entries(Split.TRAINVAL).forEach(f -> byName.put(data.listName(f), f));
        Set<SampleFiles> held = new HashSet<>();
        for (String name : names(file)) {
            SampleFiles f = byName.get(name);
            if (f == null) {
                warnings.accept("skipping '" + OneLine.of(name) + "' of " + file + ": not a pair of the "
                        + data.splitName(Split.TRAINVAL) + " split of " + data.dir());
            } else {
                held.add(f);
            }
        }
        return new ValidationCarve(byName.values().stream().filter(f -> !held.contains(f)).toList(),
                byName.values().stream().filter(held::contains).toList());
    }

    /**
     * The names {@code file} lists. A file that cannot be read is an {@link UncheckedIOException}, one that is not a
     * JSON list of names an {@link IllegalArgumentException}, each naming it.
     */
    private static List<String> names(Path file) {
        List<String> names;
        try {
            names = JSON.readValue(file.toFile(), new TypeReference<List<String>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not a JSON list of image paths: "
                    + OneLine.of(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (names == null || names.contains(null)) {
            throw new IllegalArgumentException(file + " is not a JSON list of image paths: it holds a null");
        }
        return names;
    }

    /** Writes the held-out pairs to {@code runDir/split/validation.json}, atomically (a resumed run reads them). */
    public void write(Dataset data, Path runDir) throws IOException {
        Path dir = runDir.resolve(Dataset.SPLIT_DIR);
        Files.createDirectories(dir);
        List<String> names = validation.stream().map(data::listName).toList();
        AtomicFiles.write(dir.resolve(FILE), ONE_NAME_A_LINE.writeValueAsBytes(names));
    }
}
