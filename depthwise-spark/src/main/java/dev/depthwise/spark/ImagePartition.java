package dev.depthwise.spark;

import dev.depthwise.data.BadFileException;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.RgbImage;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One partition of images ({@code path}, {@code content}) through a model, in batches: the model is borrowed from
 * this executor JVM's {@link ExecutorModels}; a file that cannot be decoded becomes a row with its error.
 *
 * @param <M> the model (a Segmenter, a Classifier)
 */
abstract class ImagePartition<M> implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final ExecutorModels.Shipped weights;
    private final int batchSize;
    private final DecodeLimits limits;

    ImagePartition(ExecutorModels.Shipped weights, int batchSize, DecodeLimits limits) {
        this.weights = weights;
        this.batchSize = batchSize;
        this.limits = limits;
    }

    /** The model, from a local copy of the shipped file. */
    abstract M load(Path file) throws IOException;

    /** One output row per image, in order. */
    abstract List<Row> rows(M model, List<String> paths, List<RgbImage> images);

    /** The row of a file that could not be used. */
    abstract Row failed(String path, String error);

    /** One row per image of {@code images} ({@code binaryFile} rows), in {@code schema}. */
    final Dataset<Row> over(Dataset<Row> images, StructType schema) {
        return images.select("path", "content").mapPartitions(this, Encoders.row(schema));
    }

    /** A batch size as asked for, checked. */
    static int checkedBatchSize(int images) {
        if (images < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + images);
        }
        return images;
    }

    /** A list as an array column's value (a Scala sequence, what Spark's row encoder takes). */
    static <T> scala.collection.immutable.Seq<T> column(List<T> values) {
        return scala.jdk.javaapi.CollectionConverters.asScala(values).toList();
    }

    @Override
    public final Iterator<Row> call(Iterator<Row> input) throws IOException {
        if (!input.hasNext()) {
            return input;
        }
        M model = ExecutorModels.borrow(weights, this::load);
        List<Row> out = new ArrayList<>();
        try {
            ImageFiles.batches(input, batchSize).forEachRemaining(batch -> {
                List<String> paths = new ArrayList<>();
                List<RgbImage> images = new ArrayList<>();
                for (Row row : batch) {
                    String path = row.getString(0);
                    try {
                        images.add(ImageFiles.decode(path, (byte[]) row.get(1), limits));
                        paths.add(path);
                    } catch (BadFileException e) {
                        out.add(failed(path, e.reason()));
                    }
                }
                if (!images.isEmpty()) {
                    out.addAll(rows(model, paths, images));
                }
            });
        } finally {
            ExecutorModels.release(weights, model);
        }
        return out.iterator();
    }
}
