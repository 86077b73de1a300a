package dev.depthwise.train;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.depthwise.data.Augmentation;
import dev.depthwise.data.LoaderOptions;
import dev.depthwise.data.OxfordPets;
import dev.depthwise.data.PetLoader;
import dev.depthwise.data.SkippedFiles;
import dev.depthwise.data.Split;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A checkpoint evaluated on a split of a dataset: what {@code depthwise eval} prints, as a text table or
 * JSON. The images are prepared as in training (the checkpoint's image size, nearest resize, no
 * augmentation) and the loss is the run's training loss.
 */
public record Evaluation(Path checkpoint, CheckpointInfo info, Path dataDir, Split split, Evaluator.Result result,
                         int skippedFiles) {

    /** @param dataDir null for the data directory the checkpoint was trained on */
    public static Evaluation run(Path checkpoint, Path dataDir, Split split, int batchSize, int loaderThreads)
            throws IOException {
        Checkpoint.Contents contents = Checkpoint.read(checkpoint);
        RunConfig config = contents.info().config();
        Path dir = dataDir != null ? dataDir : Path.of(config.dataDir());
        if (dataDir == null && !Files.isDirectory(dir)) {
            // A relative path saved by a run started elsewhere, or data since moved.
            throw new IOException(checkpoint + " was trained on " + dir + ", which is not a directory here; "
                    + "give the data directory (eval --data DIR)");
        }
        OxfordPets data = OxfordPets.open(dir);
        SkippedFiles skipped = new SkippedFiles(System.err);
        LoaderOptions options = LoaderOptions.of(config.imageSize(), batchSize, config.seed())
                .withAugmentation(Augmentation.NONE).withThreads(Math.max(1, loaderThreads));
        try (PetLoader loader = new PetLoader(data.entries(split), options, skipped)) {
            if (loader.size() == 0) {
                throw new IOException(dir + ": the " + split.listFile() + " list is empty");
            }
            Evaluator.Result result = Evaluator.evaluate(contents.model(), loader, Loss.of(config.loss()), 0);
            return new Evaluation(checkpoint, contents.info(), dir, split, result, skipped.count());
        }
    }

    /** The metrics table and the confusion matrix as text. */
    public String table() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s (%s, epoch %d) on %s, %s split: %d images%s%n", checkpoint,
                info.config().model().getOrDefault("name", "?"), info.epoch(), dataDir, splitName(),
                result.images(), skippedFiles == 0 ? "" : ", " + skippedFiles + " files skipped"));
        s.append(String.format(Locale.ROOT, "%-16s %8s%n", "metric", "value"));
        for (Map.Entry<String, Double> e : result.metrics().summary().entrySet()) {
            s.append(String.format(Locale.ROOT, "%-16s %8.4f%n", e.getKey(), e.getValue()));
        }
        s.append(String.format(Locale.ROOT, "%-16s %8.4f%n", "loss (" + info.config().loss() + ")", result.loss()));
        s.append(String.format(Locale.ROOT, "%nconfusion matrix (rows: target, columns: prediction)%n%-12s", ""));
        for (String name : SegmentationMetrics.CLASS_NAMES) {
            s.append(String.format(Locale.ROOT, "%12s", name));
        }
        s.append(System.lineSeparator());
        long[][] m = result.metrics().confusion().toArray();
        for (int t = 0; t < m.length; t++) {
            s.append(String.format(Locale.ROOT, "%-12s", SegmentationMetrics.CLASS_NAMES[t]));
            for (long v : m[t]) {
                s.append(String.format(Locale.ROOT, "%12d", v));
            }
            s.append(System.lineSeparator());
        }
        return s.toString();
    }

    /** The same as JSON: checkpoint, model, epoch, data, split, images, loss, metrics, confusion. */
    public String json() {
        ObjectNode root = Checkpoint.JSON.createObjectNode();
        root.put("checkpoint", checkpoint.toString());
        root.put("model", info.config().model().getOrDefault("name", "?"));
        root.put("epoch", info.epoch());
        root.put("data", dataDir.toString());
        root.put("split", splitName());
        root.put("images", result.images());
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

    private String splitName() {
        return split.name().toLowerCase(Locale.ROOT);
    }
}
