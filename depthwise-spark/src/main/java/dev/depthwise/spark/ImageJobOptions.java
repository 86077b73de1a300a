package dev.depthwise.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** The options of the jobs that turn a folder of images into a Parquet table (a picocli mixin). */
final class ImageJobOptions {
    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = "Folder of images, searched recursively (any Hadoop file system: file://, hdfs://, s3a://).")
    String input;

    @Option(names = "--glob", defaultValue = ImageFiles.DEFAULT_GLOB,
            description = "File names to take (default ${DEFAULT-VALUE}).")
    String glob;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = "The Parquet table to write (must not exist).")
    String output;

    @Option(names = "--batch-size", defaultValue = "" + ImageFiles.DEFAULT_BATCH,
            description = "Images per forward pass inside a task (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--partitions", paramLabel = "N",
            description = "Spread the images over N tasks (default: spark.default.parallelism).")
    Integer partitions;

    /** The images, spread over the tasks: Spark packs many small files into one partition otherwise. */
    Dataset<Row> read(SparkSession spark) {
        int n = partitions != null ? partitions : spark.sparkContext().defaultParallelism();
        if (n < 1) {
            throw new IllegalArgumentException("--partitions must be at least 1, got " + n);
        }
        return ImageFiles.read(spark, input, glob).repartition(n);
    }

    /** Writes the table, reads back how many rows and errors it has, and says so. */
    int write(SparkSession spark, Dataset<Row> rows, PrintWriter out) {
        rows.write().parquet(output);
        Dataset<Row> written = spark.read().parquet(output);
        long total = written.count();
        long failed = written.filter("error IS NOT NULL").count();
        out.printf("%d images -> %s (%d with an error, see its error column)%n", total, output, failed);
        out.flush();
        return 0;
    }
}
