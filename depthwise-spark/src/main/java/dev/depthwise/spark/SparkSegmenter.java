package dev.depthwise.spark;

import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.PngEncoder;
import dev.depthwise.data.RgbImage;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.train.AlphaMatte;
import dev.depthwise.train.Checkpoint;
import dev.depthwise.train.Segmenter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Segments images on a Spark cluster with a checkpoint written by {@code train}, with the same {@link Segmenter}
 * as {@code depthwise segment}. The checkpoint is shipped to each executor once; each executor JVM compiles it
 * once and keeps it for the job's later tasks ({@link ExecutorModels}); inside a partition the images go through
 * the model in batches. A file that cannot be decoded becomes a row with its error, never a failed task.
 *
 * <pre>{@code
 * SparkSegmenter segmenter = new SparkSegmenter(spark, Path.of("last.safetensors"))
 *         .withPngs(spark, "s3a://bucket/masks", "s3a://bucket/photos", true);
 * segmenter.segment(ImageFiles.read(spark, "s3a://bucket/photos", ImageFiles.DEFAULT_GLOB))
 *         .write().parquet("s3a://bucket/masks.parquet");
 * }</pre>
 */
public final class SparkSegmenter {
    /** The rows {@link #segment} gives: class indices as in the checkpoint (0 pet, 1 background, 2 border). */
    public static final StructType SCHEMA = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("width", DataTypes.IntegerType, true)
            .add("height", DataTypes.IntegerType, true)
            .add("pixels_per_class", DataTypes.createArrayType(DataTypes.LongType, false), true)
            .add("mask_png", DataTypes.BinaryType, true)
            .add("error", DataTypes.StringType, true);

    private final ExecutorModels.Shipped checkpoint;
    private final int classes;
    private final int batchSize;
    private final DecodeLimits limits;
    private final PngOutput pngs;

    /** Reads {@code checkpoint} (a bad one fails here, on the driver) and ships it to the executors of the job. */
    public SparkSegmenter(SparkSession spark, Path checkpoint) throws IOException {
        this(ExecutorModels.ship(spark, checkpoint, "segmenter"),
                ModelSpec.fromMap(Checkpoint.read(checkpoint).info().config().model()).classes(),
                ImageFiles.DEFAULT_BATCH, DecodeLimits.DEFAULT, null);
    }

    private SparkSegmenter(ExecutorModels.Shipped checkpoint, int classes, int batchSize, DecodeLimits limits,
                           PngOutput pngs) {
        this.checkpoint = checkpoint;
        this.classes = classes;
        this.batchSize = batchSize;
        this.limits = limits;
        this.pngs = pngs;
    }

    /** Images per forward pass inside a partition (default {@value ImageFiles#DEFAULT_BATCH}). */
    public SparkSegmenter withBatchSize(int images) {
        return new SparkSegmenter(checkpoint, classes, ImagePartition.checkedBatchSize(images), limits, pngs);
    }

    /** What an image may declare in its header before it is decoded; one over it is a row with its error. */
    public SparkSegmenter withDecodeLimits(DecodeLimits decodeLimits) {
        return new SparkSegmenter(checkpoint, classes, batchSize, decodeLimits, pngs);
    }

    /**
     * Also writes each image's {@code .mask.png} (and {@code .cutout.png}) into {@code folder} (any Hadoop file
     * system), under the image's path relative to {@code inputRoot} (its file name when it lies elsewhere).
     */
    public SparkSegmenter withPngs(SparkSession spark, String folder, String inputRoot, boolean cutout)
            throws IOException {
        return new SparkSegmenter(checkpoint, classes, batchSize, limits, PngOutput.of(spark, folder, inputRoot, cutout));
    }

    /** One row per image of {@code images} ({@code binaryFile} rows), in {@link #SCHEMA}. */
    public Dataset<Row> segment(Dataset<Row> images) {
        return new Partition(checkpoint, classes, batchSize, limits, pngs).over(images, SCHEMA);
    }

    /** What runs on the executors: a serialisable function of the job's settings only. */
    private static final class Partition extends ImagePartition<Segmenter> {
        private static final long serialVersionUID = 1L;

        private final int classes;
        private final PngOutput pngs;

        Partition(ExecutorModels.Shipped checkpoint, int classes, int batchSize, DecodeLimits limits, PngOutput pngs) {
            super(checkpoint, batchSize, limits);
            this.classes = classes;
            this.pngs = pngs;
        }

        @Override
        Segmenter load(Path file) throws IOException {
            return Segmenter.fromCheckpoint(file);
        }

        @Override
        List<Row> rows(Segmenter segmenter, List<String> paths, List<RgbImage> images) {
            List<Segmenter.Segmentation> masks = segmenter.segmentAll(images);
            List<Row> out = new ArrayList<>(masks.size());
            for (int i = 0; i < masks.size(); i++) {
                out.add(row(segmenter, paths.get(i), images.get(i), masks.get(i)));
            }
            return out;
        }

        @Override
        Row failed(String path, String error) {
            return RowFactory.create(path, null, null, null, null, error);
        }

        private Row row(Segmenter segmenter, String path, RgbImage image, Segmenter.Segmentation s) {
            byte[] maskPng = PngEncoder.bytes(Segmenter.maskImage(s, segmenter.palette()));
            String error = null;
            if (pngs != null) {
                try {
                    byte[] cutoutPng = pngs.cutout() ? PngEncoder.bytes(segmenter.cutoutOf(image, s, AlphaMatte.Mode.SOFT)) : null;
                    pngs.write(path, maskPng, cutoutPng);
                } catch (IOException e) {
                    error = "cannot write its PNGs: " + e.getMessage();
                }
            }
            return RowFactory.create(path, s.width(), s.height(), column(Arrays.asList(pixelsPerClass(s, classes))),
                    maskPng, error);
        }
    }

    static Long[] pixelsPerClass(Segmenter.Segmentation s, int classes) {
        Long[] counts = new Long[classes];
        Arrays.fill(counts, 0L);
        for (int c : s.classes()) {
            counts[c]++;
        }
        return counts;
    }
}
