package dev.depthwise.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Small hand-made images and datasets for the data tests. */
final class TestImages {
    private TestImages() {
    }

    /** An RGB image whose pixel (x, y) is (10x, 10y, 100). */
    static BufferedImage gradient(int w, int h) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.setRGB(x, y, (10 * x) << 16 | (10 * y) << 8 | 100);
            }
        }
        return image;
    }

    static void write(BufferedImage image, String format, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        if (!ImageIO.write(image, format, file.toFile())) {
            throw new IOException("no writer for " + format);
        }
    }

    /** A grey PNG holding the given trimap values, row-major. */
    static void writeTrimap(int w, int h, int[] values, Path file) throws IOException {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setPixels(0, 0, w, h, values);
        write(image, "png", file);
    }

    /** Writes list files naming the given samples (all trainval, the first also in test). */
    static void writeLists(Path dir, List<String> trainval, List<String> test) throws IOException {
        Path annotations = dir.resolve("annotations");
        Files.createDirectories(annotations.resolve("trimaps"));
        Files.createDirectories(dir.resolve("images"));
        StringBuilder tv = new StringBuilder("# hand-made\n");
        trainval.forEach(n -> tv.append(n).append(" 1 1 1\n"));
        StringBuilder te = new StringBuilder();
        test.forEach(n -> te.append(n).append(" 1 1 1\n"));
        Files.writeString(annotations.resolve("trainval.txt"), tv);
        Files.writeString(annotations.resolve("test.txt"), te);
    }

    /** The real sample, or null: {@code ../shared/data/oxford-pets-sample} from the repository root (the dir with .ci). */
    static Path oxfordSample() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve(".ci"))) {
            dir = dir.getParent();
        }
        // A git worktree sits one level deeper than the main clone; look in its ancestors too.
        for (Path d = dir == null ? null : dir.getParent(); d != null; d = d.getParent()) {
            Path sample = d.resolve("shared/data/oxford-pets-sample");
            if (Files.isDirectory(sample)) {
                return sample;
            }
        }
        return null;
    }
}
