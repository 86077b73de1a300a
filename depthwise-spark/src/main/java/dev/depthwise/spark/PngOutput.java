package dev.depthwise.spark;

import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.Serializable;

/**
 * Where a job's PNGs go: {@code folder/REL.mask.png} (and {@code REL.cutout.png}) for an image at
 * {@code inputRoot/REL.ext}, or under its file name when it lies elsewhere.
 */
record PngOutput(HadoopFiles files, String folder, String inputRoot, boolean cutout) implements Serializable {
    static PngOutput of(SparkSession spark, String folder, String inputRoot, boolean cutout) throws IOException {
        HadoopFiles files = HadoopFiles.of(spark);
        return new PngOutput(files, files.qualify(folder), files.qualify(inputRoot), cutout);
    }

    /** Writes an image's mask and, when not null, its cut-out. */
    void write(String imagePath, byte[] maskPng, byte[] cutoutPng) throws IOException {
        String base = folder + "/" + relativeStem(imagePath);
        files.write(base + ".mask.png", maskPng);
        if (cutoutPng != null) {
            files.write(base + ".cutout.png", cutoutPng);
        }
    }

    private String relativeStem(String imagePath) {
        String root = inputRoot.endsWith("/") ? inputRoot : inputRoot + "/";
        String relative = imagePath.startsWith(root) ? imagePath.substring(root.length())
                : imagePath.substring(imagePath.lastIndexOf('/') + 1);
        int slash = relative.lastIndexOf('/');
        int dot = relative.lastIndexOf('.');
        return dot > slash + 1 ? relative.substring(0, dot) : relative;
    }
}
