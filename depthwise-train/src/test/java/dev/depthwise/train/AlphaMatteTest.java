package dev.depthwise.train;

import dev.depthwise.data.Mask;
import dev.depthwise.data.RgbImage;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AlphaMatteTest {
    /**
     * A photo composited from a known soft alpha (an ellipse with a soft rim and thin "fur" strands), and the trimap a
     * model at a quarter of the resolution would give: the soft matte's error against the true alpha is bounded and
     * well below the hard cut-out's.
     */
    @Test
    void softAlphaRecoversAKnownMatteBetterThanTheHardCutout() {
        for (int scale : new int[] {1, 3}) {
            Scene scene = Scene.make(200 * scale, 150 * scale, 7);
            Segmenter.Segmentation trimap = scene.coarseTrimap(4 * scale);
            double soft = meanError(AlphaMatte.alpha(scene.image, trimap, AlphaMatte.Mode.SOFT), scene.alpha);
            double hard = meanError(AlphaMatte.alpha(scene.image, trimap, AlphaMatte.Mode.HARD), scene.alpha);
            System.out.printf("alpha matte %dx%d: mean |alpha - true| over the uncertain region: soft %.4f, hard %.4f%n",
                    scene.image.width(), scene.image.height(), soft, hard);
            assertTrue(soft < 0.6 * hard, "soft " + soft + " should be well below hard " + hard);
            assertTrue(soft < 0.12, "soft alpha error " + soft);
        }
    }

    @Test
    void knownPixelsAwayFromTheBandKeepTheirClass() {
        Scene scene = Scene.make(120, 90, 3);
        Segmenter.Segmentation trimap = scene.coarseTrimap(4);
        float[] alpha = AlphaMatte.alpha(scene.image, trimap, AlphaMatte.Mode.SOFT);
        assertEquals(0f, alpha[0]); // a corner, far from the pet
        assertEquals(1f, alpha[45 * 120 + 60]); // the ellipse's centre
        for (float a : alpha) {
            assertTrue(a >= 0f && a <= 1f, "alpha " + a);
        }
    }

    @Test
    void reachIsExactlyTheMarkedPixelsWithinTheWindow() {
        Random random = new Random(9);
        int w = 31;
        int h = 19;
        byte[] marked = new byte[w * h];
        for (int i = 0; i < marked.length; i++) {
            marked[i] = (byte) (random.nextInt(40) == 0 ? 1 : 0);
        }
        for (int reach : new int[] {0, 2, 5, 40}) {
            boolean[] near = AlphaMatte.withinReach(marked, w, h, reach);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    boolean any = false;
                    for (int v = Math.max(0, y - reach); v <= Math.min(h - 1, y + reach); v++) {
                        for (int u = Math.max(0, x - reach); u <= Math.min(w - 1, x + reach); u++) {
                            any |= marked[v * w + u] == 1;
                        }
                    }
                    assertEquals(any, near[y * w + x], "reach " + reach + " at " + x + "," + y);
                }
            }
        }
    }

    @Test
    void sizesMustAgree() {
        Scene scene = Scene.make(40, 30, 1);
        Segmenter.Segmentation other = new Segmenter.Segmentation(30, 40, new int[1200]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AlphaMatte.alpha(scene.image, other, AlphaMatte.Mode.SOFT));
        assertTrue(e.getMessage().contains("40x30"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AlphaMatte.Mode.parse("fuzzy"));
        assertEquals(AlphaMatte.Mode.HARD, AlphaMatte.Mode.parse("Hard"));
    }

    /** Mean absolute error where the truth is neither 0 nor 1 or the trimap is not sure (what a matte must decide). */
    private static double meanError(float[] alpha, float[] truth) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < truth.length; i++) {
            if (truth[i] > 0.001f && truth[i] < 0.999f || Math.abs(alpha[i] - truth[i]) > 0.001f) {
                sum += Math.abs(alpha[i] - truth[i]);
                n++;
            }
        }
        return sum / n;
    }

    private record Scene(RgbImage image, float[] alpha) {
        static Scene make(int w, int h, long seed) {
            Random random = new Random(seed);
            float[] alpha = new float[w * h];
            double cx = w / 2.0;
            double cy = h / 2.0;
            double rx = w * 0.28;
            double ry = h * 0.3;
            double rim = Math.max(2, w / 60.0);
            int strands = 40;
            double[] angles = new double[strands];
            for (int s = 0; s < strands; s++) {
                angles[s] = random.nextDouble() * 2 * Math.PI;
            }
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double dx = (x - cx) / rx;
                    double dy = (y - cy) / ry;
                    double r = Math.sqrt(dx * dx + dy * dy);
                    double outside = (r - 1) * Math.min(rx, ry); // pixels beyond the ellipse's edge
                    double a = Math.min(1, Math.max(0, 0.5 - outside / rim));
                    // Fur: thin strands sticking out up to a tenth of the size, fading towards their tips.
                    double angle = Math.atan2(dy, dx);
                    for (double s : angles) {
                        double along = outside;
                        double across = Math.abs(Math.sin(angle - s)) * r * Math.min(rx, ry);
                        double length = w * 0.08;
                        if (along > 0 && along < length && Math.cos(angle - s) > 0 && across < 1.2) {
                            a = Math.max(a, 0.8 * (1 - along / length) * (1.2 - across) / 1.2);
                        }
                    }
                    alpha[y * w + x] = (float) a;
                }
            }
            byte[] rgb = new byte[w * h * 3];
            int[] fg = {200, 120, 40};
            int[] bg = {40, 90, 150};
            for (int i = 0; i < w * h; i++) {
                for (int c = 0; c < 3; c++) {
                    double f = fg[c] + random.nextGaussian() * 12;
                    double b = bg[c] + random.nextGaussian() * 12;
                    rgb[i * 3 + c] = (byte) Math.max(0, Math.min(255, Math.round(alpha[i] * f + (1 - alpha[i]) * b)));
                }
            }
            return new Scene(new RgbImage(w, h, rgb), alpha);
        }

        /** The true trimap, taken at 1/factor of the size and blown up again (nearest), as a small model's. */
        Segmenter.Segmentation coarseTrimap(int factor) {
            int w = image.width();
            int h = image.height();
            int[] classes = new int[w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int sx = Math.min(w - 1, (x / factor) * factor + factor / 2);
                    int sy = Math.min(h - 1, (y / factor) * factor + factor / 2);
                    float a = alpha[sy * w + sx];
                    classes[y * w + x] = a > 0.95f ? Mask.PET : a < 0.05f ? Mask.BACKGROUND : Mask.BORDER;
                }
            }
            return new Segmenter.Segmentation(w, h, classes);
        }
    }
}
