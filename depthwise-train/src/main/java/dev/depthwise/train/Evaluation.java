package dev.depthwise.train;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.depthwise.data.Augmentation;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.LoaderOptions;
import dev.depthwise.data.Dataset;
import dev.depthwise.data.Datasets;
import dev.depthwise.data.PetLoader;
import dev.depthwise.data.SampleFiles;
import dev.depthwise.data.SkippedFiles;
import dev.depthwise.data.Split;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A checkpoint evaluated on a split of a dataset: what {@code depthwise eval} prints, as a text table or
 * JSON. The images are prepared as in training (the checkpoint's image size, nearest resize, no
 * augmentation) and the loss is the run's training loss.
 */
public record Evaluation(Path checkpoint, CheckpointInfo info, Path dataDir, String splitName, Evaluator.Result result,
                         int skippedFiles) {

    /** @param dataDir null for the data directory the checkpoint was trained on */
    public static Evaluation run(Path checkpoint, Path dataDir, Split split, int batchSize, int loaderThreads,
                                 DecodeLimits limits) throws IOException {
        return run(checkpoint, dataDir, (data, runDir) -> data.entries(split), data -> data.splitName(split), batchSize,
                loaderThreads, limits);
    }

    /**
     * The checkpoint on its run's validation carve: the training pairs it held out to choose its best epoch, as
     * listed beside it ({@code split/validation.json}).
     */
    public static Evaluation runOnValidationCarve(Path checkpoint, Path dataDir, int batchSize, int loaderThreads,
                                                  DecodeLimits limits) throws IOException {
        return run(checkpoint, dataDir, (data, runDir) -> {
            ValidationCarve carve = ValidationCarve.read(data, runDir, w -> System.err.println("warning: " + w));
            if (carve == null) {
                throw new IllegalArgumentException(checkpoint + ": its run has no validation carve ("
                        + runDir.resolve(Dataset.SPLIT_DIR).resolve(ValidationCarve.FILE) + " does not exist)");
            }
            return carve.validation();
        }, data -> "validation carve", batchSize, loaderThreads, limits);
    }

    private interface Samples {
        List<SampleFiles> of(Dataset data, Path runDir);
    }

    private static Evaluation run(Path checkpoint, Path dataDir, Samples samples,
                                  java.util.function.Function<Dataset, String> splitName, int batchSize,
                                  int loaderThreads, DecodeLimits limits) throws IOException {
        Checkpoint.Contents contents = Checkpoint.read(checkpoint);
        RunConfig config = contents.info().config();
        Path dir = dataDir != null ? dataDir : Path.of(config.dataDir());
        if (dataDir == null && !Files.isDirectory(dir)) {
            // A relative path saved by a run started elsewhere, or data since moved.
            throw new IOException(checkpoint + " was trained on " + dir + ", which is not a directory here; "
                    + "give the data directory (eval --data DIR)");
        }
        // The checkpoint's layout and classes, and the split its run drew and saved beside it (if it drew one).
        Path runDir = checkpoint.toAbsolutePath().getParent();
        Dataset data = Datasets.open(dir, config.dataset().openOptions(config.seed(), runDir));
        if (data.numClasses() != config.classNames().size()) {
            throw new IOException(checkpoint + " was trained on " + config.classNames().size() + " classes but " + dir
                    + " has " + data.numClasses() + " " + data.classNames());
        }
        SkippedFiles skipped = new SkippedFiles(System.err);
        LoaderOptions options = LoaderOptions.of(config.imageSize(), batchSize, config.seed())
                .withAugmentation(Augmentation.NONE).withThreads(Math.max(1, loaderThreads)).withDecodeLimits(limits);
        try (PetLoader loader = new PetLoader(samples.of(data, runDir), data.masks(), options, skipped)) {
            if (loader.size() == 0) {
                throw new IOException(dir + ": the " + splitName.apply(data) + " split is empty");
            }
            Evaluator.Result result = Evaluator.evaluate(contents.model(), loader, Loss.of(config.loss()),
                    config.newMetrics(), config.flipTta(), 0);
            return new Evaluation(checkpoint, contents.info(), dir, splitName.apply(data), result, skipped.count());
        }
    }

    /** How the checkpoint's epoch came to be kept: on the validation carve, or as the last of a run without one. */
    public String selection() {
        List<EpochRecord> history = info.history();
        if (history.isEmpty()) {
            return "none (saved before its first epoch ended)";
        }
        EpochRecord kept = EpochRecord.kept(history);
        if (kept.validation() == null) {
            return "none: the run has no validation carve, so no epoch was chosen (none on the test split)";
        }
        if (kept.epoch() == info.epoch()) {
            return String.format(Locale.ROOT, "chosen on the validation carve: the best validation mean IoU (%.4f) of"
                    + " epochs 1-%d", kept.selectionScore(), info.epoch());
        }
        return String.format(Locale.ROOT, "none: the last epoch; the best by validation mean IoU is epoch %d (%s)",
                kept.epoch(), Trainer.BEST);
    }

    /** The metrics table and the confusion matrix as text. */
    public String table() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s (%s, epoch %d) on %s, %s split: %d images%s%n", checkpoint,
                info.config().model().getOrDefault("name", "?"), info.epoch(), dataDir, splitName,
                result.images(), skippedFiles == 0 ? "" : ", " + skippedFiles + " files skipped"));
        s.append("epoch choice: ").append(selection()).append(System.lineSeparator());
        List<String> names = result.metrics().classNames();
        int ignored = result.metrics().ignoreClass();
        s.append("IoU: ").append(ignored < 0 ? "every class" : "'" + names.get(ignored) + "' left out")
                .append(System.lineSeparator());
        int keyWidth = Math.max(16, result.metrics().summary().keySet().stream().mapToInt(String::length).max().orElse(0) + 1);
        s.append(String.format(Locale.ROOT, "%-" + keyWidth + "s %8s%n", "metric", "value"));
        for (Map.Entry<String, Double> e : result.metrics().summary().entrySet()) {
            s.append(String.format(Locale.ROOT, "%-" + keyWidth + "s %8.4f%n", e.getKey(), e.getValue()));
        }
        s.append(String.format(Locale.ROOT, "%-" + keyWidth + "s %8.4f%n", "loss (" + info.config().loss() + ")",
                result.loss()));
        int cell = Math.max(12, names.stream().mapToInt(String::length).max().orElse(0) + 2);
        s.append(String.format(Locale.ROOT, "%nconfusion matrix (rows: target, columns: prediction)%n%-" + cell + "s", ""));
        for (String name : names) {
            s.append(String.format(Locale.ROOT, "%" + cell + "s", name));
        }
        s.append(System.lineSeparator());
        long[][] m = result.metrics().confusion().toArray();
        for (int t = 0; t < m.length; t++) {
            s.append(String.format(Locale.ROOT, "%-" + cell + "s", names.get(t)));
            for (long v : m[t]) {
                s.append(String.format(Locale.ROOT, "%" + cell + "d", v));
            }
            s.append(System.lineSeparator());
        }
        return s.toString();
    }

    /** The same as JSON: checkpoint, model, epoch, its choice, data, split, images, loss, metrics, confusion. */
    public String json() {
        ObjectNode root = Checkpoint.JSON.createObjectNode();
        root.put("checkpoint", checkpoint.toString());
        root.put("model", info.config().model().getOrDefault("name", "?"));
        root.put("epoch", info.epoch());
        root.put("epoch_choice", selection());
        root.put("data", dataDir.toString());
        root.put("split", splitName);
        root.put("images", result.images());
        ArrayNode classes = root.putArray("classes");
        result.metrics().classNames().forEach(classes::add);
        int ignored = result.metrics().ignoreClass();
        if (ignored >= 0) {
            root.put("iou_left_out", result.metrics().classNames().get(ignored));
        }
        root.put("skipped_files", skippedFiles);
        root.put("loss", result.loss());
        ObjectNode metrics = root.putObject("metrics");
        result.metrics().summary().forEach(metrics::put);
        ArrayNode confusion = root.putArray("confusion");
        for (long[] row : result.metrics().confusion().toArray()) {
            ArrayNode r = confusion.addArray();
            for (long v : row) {
                r.add(v);
            }
        }
        return Checkpoint.toJson(root);
    }

}
