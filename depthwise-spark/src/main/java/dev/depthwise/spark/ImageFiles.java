package dev.depthwise.spark;

import dev.depthwise.data.BadFileException;
import dev.depthwise.data.ImageDecoder;
import dev.depthwise.data.RgbImage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
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

    /**
     * Decodes an image's bytes with the decoder every command uses (by content, not by name). It reads
     * files, so the bytes pass through a temporary file; a bad image's message names {@code path}.
     */
    static RgbImage decode(String path, byte[] content) throws BadFileException {
        Path temp = null;
        try {
            temp = Files.createTempFile("depthwise-", suffix(path));
            Files.write(temp, content);
            return ImageDecoder.readRgb(temp);
        } catch (BadFileException e) {
            throw new BadFileException(Path.of(path), reason(e).replace(temp.toString(), path), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage " + path + " for decoding", e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // a leftover temporary file is harmless; the result is not
                }
            }
        }
    }

    /** A bad file's message without the path in front (a row has its path in a column of its own). */
    static String reason(BadFileException e) {
        String message = e.getMessage();
        String prefix = e.file() + ": ";
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }

    private static String suffix(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(dot).toLowerCase(Locale.ROOT) : ".img";
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
