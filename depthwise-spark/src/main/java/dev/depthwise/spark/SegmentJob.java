package dev.depthwise.spark;

import dev.depthwise.train.DecodeLimitsOption;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code segment}: a folder of images into a Parquet table of masks, and PNGs on request. */
@Command(name = "segment", mixinStandardHelpOptions = true,
        description = {"Segment every image under --input with a checkpoint written by train; one Parquet row per "
                + "image (path, width, height, pixels_per_class, mask_png, error).",
                "A file that cannot be decoded is a row with its error; the others go on."})
final class SegmentJob implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "A checkpoint (.safetensors) on the driver's disk.")
    Path checkpoint;

    @Mixin
    ImageJobOptions images;

    @Mixin
    DecodeLimitsOption decodeLimits;

    @Option(names = "--png-dir", paramLabel = "DIR",
            description = "Also write NAME.mask.png for each image here (any Hadoop file system), under its path below --input.")
    String pngDir;

    @Option(names = "--cutout", description = "With --png-dir: also NAME.cutout.png, the pet on a transparent background.")
    boolean cutout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SparkSession spark = SparkMain.session("segment");
        SparkSegmenter segmenter = new SparkSegmenter(spark, checkpoint).withBatchSize(images.batchSize)
                .withDecodeLimits(decodeLimits.limits());
        if (pngDir != null) {
            segmenter = segmenter.withPngs(spark, pngDir, images.input, cutout);
        } else if (cutout) {
            throw new IllegalArgumentException("--cutout needs --png-dir DIR");
        }
        Dataset<Row> rows = segmenter.segment(images.read(spark));
        return images.write(spark, rows, spec.commandLine().getOut());
    }
}
