package dev.depthwise.train;

import java.io.Serializable;

import dev.depthwise.data.Dataset;
import dev.depthwise.data.Datasets;
import dev.depthwise.data.Layout;

import java.nio.file.Path;
import java.util.List;

/**
 * The dataset side of a run, saved in its checkpoints so that {@code eval} and {@code segment} read the data
 * and name the classes as training did. Before training starts only what the user asked is set; the trainer
 * then fills in what it found ({@link #resolve}).
 *
 * @param layout          the layout's command-line name, or null to detect it
 * @param colors          the colour map of a colour-mask dataset, or null
 * @param classNames      the classes, index by index; null until resolved
 * @param iouIgnoredClass the class the headline IoU leaves out; null for the dataset's background, -1 for none
 */
public record DatasetConfig(String layout, String colors, List<String> classNames, Integer iouIgnoredClass) implements Serializable {
    /** Detect everything (what a run without dataset options, and a checkpoint from before layouts, has). */
    public static final DatasetConfig DETECT = new DatasetConfig(null, null, null, null);

    public DatasetConfig {
        classNames = classNames == null ? null : List.copyOf(classNames);
    }

    /** The options that open the run's data: the recorded layout and classes, the split saved in {@code runDir}. */
    public Datasets.Options openOptions(long seed, Path runDir) {
        return Datasets.Options.DEFAULT.withLayout(layout == null ? null : Layout.of(layout))
                .withColors(colors == null ? null : Path.of(colors)).withClassNames(classNames).withSeed(seed)
                .withSavedSplit(runDir);
    }

    /** Everything filled in from the opened dataset. */
    public DatasetConfig resolve(Dataset data) {
        int ignored = iouIgnoredClass != null ? iouIgnoredClass : data.backgroundClass();
        if (ignored >= data.numClasses()) {
            throw new IllegalArgumentException("the class left out of the IoU, " + ignored + ", is not one of the "
                    + data.numClasses() + " classes " + data.classNames());
        }
        return new DatasetConfig(data.layout().cliName(), colors, data.classNames(), ignored);
    }

    /** The class index of a name in {@code names}, or -1 for "none"; an unknown name lists the classes. */
    public static int classIndex(List<String> names, String name) {
        if (name.equalsIgnoreCase("none")) {
            return -1;
        }
        int i = names.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("unknown class '" + name + "' (classes: " + String.join(", ", names) + ")");
        }
        return i;
    }
}
