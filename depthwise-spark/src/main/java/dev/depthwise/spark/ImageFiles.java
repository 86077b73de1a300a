package dev.depthwise.spark;

import dev.depthwise.data.BadFileException;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.ImageDecoder;
import dev.depthwise.data.RgbImage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/** Images as Spark reads them ({@code binaryFile} rows: path, modificationTime, length, content) and decodes them. */
public final class ImageFiles {
    /** The file types a folder is searched for unless a glob says otherwise. */
    public static final String DEFAULT_GLOB = "*.{jpg,jpeg,png,gif,bmp,JPG,JPEG,PNG,GIF,BMP}";
    /** Images per forward pass inside a partition unless told otherwise. */
    public static final int DEFAULT_BATCH = 8;

    private ImageFiles() {
    }

    /** The files under {@code input} (a folder, searched recursively, or a file or glob) whose names match {@code glob}. */
    public static Dataset<Row> read(SparkSession spark, String input, String glob) {
        return spark.read().format("binaryFile")
                .option("recursiveFileLookup", "true")
                .option("pathGlobFilter", glob)
                .load(input);
    }

    /** Decodes an image's bytes with the decoder every command uses (by content, headers checked first). */
    static RgbImage decode(String path, byte[] content, DecodeLimits limits) throws BadFileException {
        return ImageDecoder.readPhoto(content, path, limits);
    }

    /** The rows of a partition in groups of up to {@code size}. */
    static <T> Iterator<List<T>> batches(Iterator<T> rows, int size) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public List<T> next() {
                if (!rows.hasNext()) {
                    throw new NoSuchElementException();
                }
                List<T> batch = new ArrayList<>(size);
                while (batch.size() < size && rows.hasNext()) {
                    batch.add(rows.next());
                }
                return batch;
            }
        };
    }
}
