package dev.depthwise.train;

import dev.depthwise.io.AtomicFiles;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The article's picture of progress: for each test image its input, ground truth and prediction, as rows
 * of seven images — an input row, the ground-truth row under it, the prediction row under that — with
 * masks in the run's {@link Palette} and a thin gap between images.
 */
public final class PredictionGrid {
    public static final int SAMPLES = 21;
    private static final int PER_ROW = 7;
    private static final int GAP = 2;
    private static final int GAP_COLOR = 0x000000;

    private PredictionGrid() {
    }

    public static BufferedImage render(List<Evaluator.Sample> samples, Palette palette) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("prediction grid: no samples");
        }
        int size = samples.get(0).size();
        int groups = (samples.size() + PER_ROW - 1) / PER_ROW;
        int columns = Math.min(PER_ROW, samples.size());
        int cell = size + GAP;
        BufferedImage img = new BufferedImage(columns * cell + GAP, groups * 3 * cell + GAP, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.setRGB(x, y, GAP_COLOR);
            }
        }
        for (int i = 0; i < samples.size(); i++) {
            Evaluator.Sample s = samples.get(i);
            int x0 = GAP + (i % PER_ROW) * cell;
            int y0 = GAP + (i / PER_ROW) * 3 * cell;
            drawImage(img, s, x0, y0);
            drawMask(img, s.target(), size, x0, y0 + cell, palette);
            drawMask(img, s.predicted(), size, x0, y0 + 2 * cell, palette);
        }
        return img;
    }

    public static void write(Path file, List<Evaluator.Sample> samples, Palette palette) throws IOException {
        BufferedImage img = render(samples, palette);
        AtomicFiles.write(file, out -> ImageIO.write(img, "png", out));
    }

    private static void drawImage(BufferedImage img, Evaluator.Sample s, int x0, int y0) {
        int size = s.size();
        int plane = size * size;
        float[] chw = s.image();
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int p = y * size + x;
                img.setRGB(x0 + x, y0 + y, (byte8(chw[p]) << 16) | (byte8(chw[plane + p]) << 8) | byte8(chw[2 * plane + p]));
            }
        }
    }

    private static void drawMask(BufferedImage img, int[] classes, int size, int x0, int y0, Palette palette) {
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                img.setRGB(x0 + x, y0 + y, palette.color(classes[y * size + x]));
            }
        }
    }

    private static int byte8(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255)));
    }
}
