package dev.depthwise.train;

import dev.depthwise.data.Mask;
import dev.depthwise.data.RgbImage;

import java.util.Locale;

/**
 * The opacity of each pixel of a cut-out, from a segmentation used as a trimap: pet (known foreground),
 * background (known background) and the border band (unknown).
 *
 * <p>{@link Mode#SOFT} runs the guided filter of He, Sun and Tang ("Guided Image Filtering", TPAMI 2013) with the
 * photo's colours as the guide: within each window the alpha is fitted as a linear function of the colour, so the
 * border band takes the values the photo's own edges and fur strands say, at the photo's resolution, instead of the
 * model's upsampled stair steps. We chose it over closed-form matting (Levin et al.; pymatting's solvers) because it
 * costs a fixed handful of box filters per pixel, linear in the photo's size with no sparse linear solve, so a
 * server's time per request stays predictable; on large photos the filter's coefficients are computed on a
 * downscaled copy and upsampled (He and Sun's "fast guided filter"), which bounds the memory too. Known pixels away
 * from the band keep their hard 0 or 1: the filter only decides the band and its neighbourhood.
 *
 * <p>{@link Mode#HARD} is the class map made transparent: pet opaque, border half-transparent, background clear.
 */
public final class AlphaMatte {
    /** How a cut-out's alpha is made. */
    public enum Mode {
        SOFT, HARD;

        /** The mode for a command-line or query value ({@code soft} or {@code hard}). */
        public static Mode parse(String value) {
            for (Mode m : values()) {
                if (m.name().equalsIgnoreCase(value)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("alpha '" + value + "': expected soft or hard");
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The longest side the filter's coefficients are computed at; larger photos are averaged down to it. */
    private static final int WORK_SIDE = 640;
    /** Regularisation of the filter (intensities in 0..1): small enough to follow fur, large enough for noise. */
    private static final float EPS = 1e-3f;

    private AlphaMatte() {
    }

    /** The alpha (0..1, row by row) of the segmentation's pixels. */
    public static float[] alpha(RgbImage image, Segmenter.Segmentation s, Mode mode) {
        if (image.width() != s.width() || image.height() != s.height()) {
            throw new IllegalArgumentException("alpha matte: image " + image.width() + "x" + image.height()
                    + " and segmentation " + s.width() + "x" + s.height() + " differ in size");
        }
        return mode == Mode.HARD ? hard(s) : soft(image, s);
    }

    private static float[] hard(Segmenter.Segmentation s) {
        int[] classes = s.classes();
        float[] alpha = new float[classes.length];
        for (int i = 0; i < classes.length; i++) {
            alpha[i] = classes[i] == Mask.PET ? 1f : classes[i] == Mask.BORDER ? 0.5f : 0f;
        }
        return alpha;
    }

    private static float[] soft(RgbImage image, Segmenter.Segmentation s) {
        int w = s.width();
        int h = s.height();
        int[] classes = s.classes();
        float[] coarse = hard(s);
        // Unknown: the border band, and any pet pixel touching background (a model may draw no band at all).
        byte[] unknown = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                int c = classes[i];
                boolean edge = c == Mask.PET && ((x > 0 && classes[i - 1] == Mask.BACKGROUND)
                        || (x + 1 < w && classes[i + 1] == Mask.BACKGROUND)
                        || (y > 0 && classes[i - w] == Mask.BACKGROUND)
                        || (y + 1 < h && classes[i + w] == Mask.BACKGROUND));
                if (c == Mask.BORDER || edge) {
                    unknown[i] = 1;
                    coarse[i] = 0.5f;
                }
            }
        }
        int scale = Math.max(1, (Math.max(w, h) + WORK_SIDE - 1) / WORK_SIDE);
        int radius = Math.max(2, Math.round(Math.min(w, h) / (40f * scale)));
        float[] filtered = GuidedFilter.filter(image, coarse, scale, radius, EPS);
        // Near the band (within the filter's reach) the filter decides; elsewhere the classes stand.
        boolean[] near = withinReach(unknown, w, h, radius * scale);
        float[] alpha = new float[w * h];
        for (int i = 0; i < alpha.length; i++) {
            float known = classes[i] == Mask.PET ? 1f : classes[i] == Mask.BORDER ? 0.5f : 0f;
            alpha[i] = near[i] ? Math.min(1f, Math.max(0f, filtered[i])) : known;
        }
        return alpha;
    }

    /**
     * Whether each pixel has a marked pixel within {@code reach} rows and columns: counted exactly, from a table of
     * prefix counts, so a window of zeros is zero (a box mean in floating point may leave a residue there).
     */
    static boolean[] withinReach(byte[] marked, int w, int h, int reach) {
        int[] table = new int[(w + 1) * (h + 1)]; // table[y][x]: the marked pixels above and left of (x, y)
        for (int y = 0; y < h; y++) {
            int row = 0;
            for (int x = 0; x < w; x++) {
                row += marked[y * w + x];
                table[(y + 1) * (w + 1) + x + 1] = table[y * (w + 1) + x + 1] + row;
            }
        }
        boolean[] near = new boolean[w * h];
        for (int y = 0; y < h; y++) {
            int top = Math.max(0, y - reach) * (w + 1);
            int bottom = (Math.min(h - 1, y + reach) + 1) * (w + 1);
            for (int x = 0; x < w; x++) {
                int left = Math.max(0, x - reach);
                int right = Math.min(w - 1, x + reach) + 1;
                near[y * w + x] = table[bottom + right] - table[bottom + left] - table[top + right] + table[top + left] > 0;
            }
        }
        return near;
    }
}
