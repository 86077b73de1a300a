package dev.depthwise.data;

import dev.depthwise.engine.OneLine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * An opened segmentation dataset of any layout ({@link Datasets#open}): its class names, its two splits as
 * lists of files (nothing decoded yet) and the reader of its masks. {@link Split#TRAINVAL} is what training
 * learns from; {@link Split#TEST} is the held-out split ({@code test.txt} for the pets, the validation list
 * otherwise).
 *
 * @param backgroundClass the class the headline IoU leaves out and {@code --cutout} drops by default
 *                        (background: 1 for the pet trimaps, 0 otherwise)
 * @param seededSplit     true when the split was drawn from the seed, not read from list files; the run
 *                        writes it ({@link #writeSplit}) so that {@code eval} uses the same one
 * @param warnings        things a user should know (classes counted from the masks, malformed list lines)
 */
public record Dataset(Path dir, Layout layout, List<String> classNames, int backgroundClass, MaskReader masks,
                      Map<Split, List<SampleFiles>> splits, boolean seededSplit, List<String> warnings) {
    /** The file names of a saved split, in a run directory's {@code split/}. */
    public static final String SPLIT_DIR = "split";

    public Dataset {
        classNames = List.copyOf(classNames);
        splits = Map.copyOf(splits);
        warnings = List.copyOf(withOverlap(layout, splits, warnings));
    }

    /**
     * {@code warnings} and, when lists put an image in both splits, one more: its test metrics would then measure
     * what training saw. Said, not refused, since a deliberate overlap (a smoke test) is the user's to make.
     */
    private static List<String> withOverlap(Layout layout, Map<Split, List<SampleFiles>> splits, List<String> warnings) {
        List<SampleFiles> test = splits.getOrDefault(Split.TEST, List.of());
        java.util.Set<Path> trained = splits.getOrDefault(Split.TRAINVAL, List.of()).stream().map(SampleFiles::image)
                .collect(Collectors.toSet());
        List<SampleFiles> both = test.stream().filter(f -> trained.contains(f.image())).toList();
        if (both.isEmpty()) {
            return warnings;
        }
        boolean pets = layout == Layout.PETS;
        List<String> out = new java.util.ArrayList<>(warnings);
        out.add(both.size() + " of the " + test.size() + " " + (pets ? "test" : "val") + " pairs are also in the "
                + (pets ? "trainval" : "train") + " list (first: " + OneLine.of(both.get(0).name())
                + "): their metrics are not held out");
        return out;
    }

    public int numClasses() {
        return classNames.size();
    }

    public List<SampleFiles> entries(Split split) {
        return splits.get(split);
    }

    /** What a split is called in this layout: trainval/test for the pets, train/val otherwise. */
    public String splitName(Split split) {
        if (layout == Layout.PETS) {
            return split == Split.TRAINVAL ? "trainval" : "test";
        }
        return split == Split.TRAINVAL ? "train" : "val";
    }

    /** Decodes one sample (image and mask, checked to be the same size) within {@code limits}. */
    public PetSample load(SampleFiles files, DecodeLimits limits, SkippedFiles report) throws BadFileException {
        return PetSample.load(files, masks, limits, report);
    }

    /** A background loader over a split; close it when done. */
    public PetLoader loader(Split split, LoaderOptions options, SkippedFiles skipped) {
        return new PetLoader(entries(split), masks, options, skipped);
    }

    /** Writes the split into {@code runDir/split/train.txt} and {@code val.txt}, one {@link #listName} per line. */
    public void writeSplit(Path runDir) throws IOException {
        Path out = runDir.resolve(SPLIT_DIR);
        Files.createDirectories(out);
        for (Split s : Split.values()) {
            Files.writeString(out.resolve(s == Split.TRAINVAL ? "train.txt" : "val.txt"), listText(entries(s)),
                    StandardCharsets.UTF_8);
        }
    }

    /** A saved list's text: {@code samples} in their order, one {@link #listName} per line. */
    private String listText(List<SampleFiles> samples) {
        return samples.stream().map(this::listName).collect(Collectors.joining("\n", "", "\n"));
    }

    /** How a saved list names a sample: its image's path relative to the dataset folder, with '/' separators. */
    public String listName(SampleFiles sample) {
        return dir.relativize(sample.image()).toString().replace('\\', '/');
    }
}
