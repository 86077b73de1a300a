package dev.depthwise.spark;

import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.RgbImage;
import dev.depthwise.models.Classification;
import dev.depthwise.train.Classifier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Classifies images on a Spark cluster with MobileNetV2 weights (torchvision's keys), with the same
 * {@link Classifier} as {@code depthwise classify}: the weights are shipped once per executor and compiled once
 * per executor JVM, and a file that cannot be decoded becomes a row with its error.
 */
public final class SparkClassifier {
    /** The rows {@link #classify} gives: the top classes, most probable first. */
    public static final StructType SCHEMA = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("top_classes", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
            .add("top_labels", DataTypes.createArrayType(DataTypes.StringType, false), true)
            .add("top_probabilities", DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add("error", DataTypes.StringType, true);

    private final ExecutorModels.Shipped weights;
    private final double width;
    private final int top;
    private final int batchSize;
    private final DecodeLimits limits;

    /**
     * Reads {@code weights} (a bad file fails here, on the driver) and ships them to the executors of the job.
     *
     * @param width the width multiplier the weights were trained with (1.0 for torchvision's)
     * @param top   how many classes each row lists
     */
    public SparkClassifier(SparkSession spark, Path weights, double width, int top) throws IOException {
        this(checkAndShip(spark, weights, width, top), width, top, ImageFiles.DEFAULT_BATCH, DecodeLimits.DEFAULT);
    }

    private static ExecutorModels.Shipped checkAndShip(SparkSession spark, Path weights, double width, int top) throws IOException {
        if (top < 1) {
            throw new IllegalArgumentException("top must be at least 1, got " + top);
        }
        Classifier.fromWeights(weights, width);
        return ExecutorModels.ship(spark, weights, "classifier-" + width);
    }

    private SparkClassifier(ExecutorModels.Shipped weights, double width, int top, int batchSize, DecodeLimits limits) {
        this.weights = weights;
        this.width = width;
        this.top = top;
        this.batchSize = batchSize;
        this.limits = limits;
    }

    /** Images per forward pass inside a partition (default {@value ImageFiles#DEFAULT_BATCH}). */
    public SparkClassifier withBatchSize(int images) {
        return new SparkClassifier(weights, width, top, ImagePartition.checkedBatchSize(images), limits);
    }

    /** What an image may declare in its header before it is decoded; one over it is a row with its error. */
    public SparkClassifier withDecodeLimits(DecodeLimits decodeLimits) {
        return new SparkClassifier(weights, width, top, batchSize, decodeLimits);
    }

    /** One row per image of {@code images} ({@code binaryFile} rows), in {@link #SCHEMA}. */
    public Dataset<Row> classify(Dataset<Row> images) {
        return new Partition(weights, width, top, batchSize, limits).over(images, SCHEMA);
    }

    private static final class Partition extends ImagePartition<Classifier> {
        private static final long serialVersionUID = 1L;

        private final double width;
        private final int top;

        Partition(ExecutorModels.Shipped weights, double width, int top, int batchSize, DecodeLimits limits) {
            super(weights, batchSize, limits);
            this.width = width;
            this.top = top;
        }

        @Override
        Classifier load(Path file) throws IOException {
            return Classifier.fromWeights(file, width);
        }

        @Override
        List<Row> rows(Classifier classifier, List<String> paths, List<RgbImage> images) {
            List<List<Classification.Score>> scores = classifier.classifyAll(images, top);
            List<Row> out = new ArrayList<>(scores.size());
            for (int i = 0; i < scores.size(); i++) {
                List<Integer> classes = new ArrayList<>();
                List<String> labels = new ArrayList<>();
                List<Float> probabilities = new ArrayList<>();
                for (Classification.Score s : scores.get(i)) {
                    classes.add(s.index());
                    labels.add(s.label());
                    probabilities.add(s.probability());
                }
                out.add(RowFactory.create(paths.get(i), column(classes), column(labels), column(probabilities), null));
            }
            return out;
        }

        @Override
        Row failed(String path, String error) {
            return RowFactory.create(path, null, null, null, error);
        }
    }
}
