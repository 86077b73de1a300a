package dev.depthwise.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TransformsTest {
    private static Mask mask(int w, int h, int... classes) {
        byte[] b = new byte[classes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) classes[i];
        }
        return new Mask(w, h, b);
    }

    @Test
    void nearestResizeFollowsPyTorchFloorRule() {
        // torch.nn.functional.interpolate(x, size=(2,2), mode="nearest") on 1x3 -> 2x2 picks columns floor(0*1.5)=0, floor(1.5)=1.
        Mask m = mask(3, 1, 0, 1, 2);
        assertArrayEquals(new byte[]{0, 1, 0, 1}, Transforms.resize(m, 2, 2).classes());
        // Upsampling 2 -> 4 repeats each pixel twice.
        assertArrayEquals(new byte[]{0, 0, 2, 2}, Transforms.resize(mask(2, 1, 0, 2), 4, 1).classes());
    }

    @Test
    void bilinearResizeMatchesAlignCornersFalse() {
        // 1x2 image [0, 100] upsampled to 1x4: source x = (d+0.5)/2-0.5 = -0.25 (clamped 0), 0.25, 0.75, 1.25 -> 0, 25, 75, 100.
        byte[] rgb = {0, 0, 0, 100, 100, 100};
        RgbImage out = Transforms.resize(new RgbImage(2, 1, rgb), 4, 1, Interpolation.BILINEAR);
        assertEquals(0, out.get(0, 0, 0));
        assertEquals(25, out.get(1, 0, 0));
        assertEquals(75, out.get(2, 0, 1));
        assertEquals(100, out.get(3, 0, 2));
    }

    @Test
    void flipMirrorsImageAndMaskAlike() {
        RgbImage image = new RgbImage(3, 1, new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertArrayEquals(new byte[]{7, 8, 9, 4, 5, 6, 1, 2, 3}, Transforms.flipHorizontal(image).rgb());
        assertArrayEquals(new byte[]{2, 1, 0}, Transforms.flipHorizontal(mask(3, 1, 0, 1, 2)).classes());
    }

    @Test
    void toChwScalesToUnitRangeByChannel() {
        RgbImage image = new RgbImage(2, 1, new byte[]{(byte) 255, 0, 51, 0, (byte) 255, 102});
        float[] out = new float[7];
        Transforms.toChw(image, out, 1);
        assertArrayEquals(new float[]{0, 1, 0, 0, 1, 0.2f, 0.4f}, out, 1e-6f);
    }

    @Test
    void contrastBlendsWithGreyMeanAsTorchvision() {
        // One red and one black pixel: grey = 0.2989 and 0, mean 0.14945. factor 0.5: out = 0.5 x + 0.5 * 0.14945.
        float[] chw = {1, 0, 0, 0, 0, 0};
        Transforms.adjustContrast(chw, 0, 2, 0.5f);
        float m = 0.5f * 0.14945f;
        assertArrayEquals(new float[]{0.5f + m, m, m, m, m, m}, chw, 1e-6f);
        float[] bright = {1, 1, 1, 1, 1, 1};
        Transforms.adjustContrast(bright, 0, 2, 1.3f);
        assertArrayEquals(new float[]{1, 1, 1, 1, 1, 1}, bright, 1e-6f); // clamped to 1
    }

    @Test
    void augmentationDrawsFactorsInTheJitterRange() {
        SplittableRandom rng = new SplittableRandom(1);
        int flips = 0;
        for (int i = 0; i < 1000; i++) {
            Augmentation.Choice c = Augmentation.ARTICLE.draw(rng);
            assertTrue(c.contrastFactor() >= 0.7f && c.contrastFactor() <= 1.3f, "factor " + c.contrastFactor());
            flips += c.flip() ? 1 : 0;
        }
        assertTrue(flips > 430 && flips < 570, flips + " flips in 1000");
        Augmentation.Choice none = Augmentation.NONE.draw(rng);
        assertEquals(false, none.flip());
        assertEquals(1f, none.contrastFactor());
    }

    @Test
    void theAffineViewMovesImageAndMaskTogetherAndMarksPixelsFromOutsideIgnored() {
        int s = 9;
        byte[] rgb = new byte[s * s * 3];
        byte[] classes = new byte[s * s];
        for (int i = 0; i < s * s; i++) {
            rgb[i * 3] = (byte) (i * 3); // red codes the position, so moved pixels can be traced
            classes[i] = (byte) (i % 5);
        }
        RgbImage image = new RgbImage(s, s, rgb);
        Mask mask = new Mask(s, s, classes);
        Augmentation.Choice identity = new Augmentation.Choice(false, 1f, 1f, 1f, 1, 0, 0, 0);
        assertArrayEquals(rgb, Transforms.affine(image, identity).rgb());
        assertArrayEquals(classes, Transforms.affine(mask, identity).classes());

        // A quarter turn about the centre: output (x, y) comes from (y, s-1-x) for a rotation by +90 degrees.
        Augmentation.Choice turn = new Augmentation.Choice(false, 1f, 1f, 1f, 1, Math.PI / 2, 0, 0);
        RgbImage turned = Transforms.affine(image, turn);
        Mask turnedMask = Transforms.affine(mask, turn);
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                int from = (s - 1 - x) * s + y;
                assertEquals(rgb[from * 3] & 0xff, turned.get(x, y, 0), "pixel " + x + "," + y);
                assertEquals(classes[from], turnedMask.get(x, y), "mask pixel " + x + "," + y);
            }
        }
        // Zoomed out, the border shows what lies outside: black, and ignored in the mask.
        Augmentation.Choice small = new Augmentation.Choice(false, 1f, 1f, 1f, 0.5, 0, 0, 0);
        assertEquals(0, Transforms.affine(image, small).get(0, 0, 0));
        assertEquals(Mask.IGNORE, Transforms.affine(mask, small).get(0, 0));
        assertEquals(classes[4 * s + 4], Transforms.affine(mask, small).get(4, 4));
    }

    @Test
    void theSmallDataAugmentationDrawsWithinItsRangesAndLeavesTheArticlesDrawsAlone() {
        for (int i = 0; i < 200; i++) {
            Augmentation.Choice small = Augmentation.SMALL_DATA.draw(new SplittableRandom(i));
            Augmentation.Choice article = Augmentation.ARTICLE.draw(new SplittableRandom(i));
            assertEquals(article.flip(), small.flip());
            assertEquals(article.contrastFactor(), small.contrastFactor());
            assertTrue(small.zoom() >= 0.9 && small.zoom() <= 1.3, "zoom " + small.zoom());
            assertTrue(Math.abs(small.angle()) <= Math.toRadians(15) + 1e-12, "angle " + small.angle());
            assertTrue(small.brightnessFactor() >= 0.7f && small.brightnessFactor() <= 1.3f);
            assertTrue(Math.abs(small.shiftX()) <= Math.max(0, 1 - 1 / small.zoom()) / 2 + 1e-12);
        }
    }

    /**
     * Against torch 1.13's F.interpolate (resources/data/make_resize_golden.py): nearest exactly; bilinear within
     * one level, since PyTorch's vectorised loop rounds its float sums a little differently on ties.
     */
    @Test
    void resizeMatchesPyTorchInterpolate() throws Exception {
        java.util.List<String> lines = java.nio.file.Files.readAllLines(
                java.nio.file.Path.of(getClass().getResource("/data/resize_golden.txt").toURI()));
        String[] hw = lines.get(0).split(" ");
        int h = Integer.parseInt(hw[0]);
        int w = Integer.parseInt(hw[1]);
        RgbImage input = fromChw(lines.get(1), w, h);
        for (int i = 2; i < lines.size(); i += 2) {
            String[] c = lines.get(i).split(" ");
            int oh = Integer.parseInt(c[1]);
            int ow = Integer.parseInt(c[2]);
            boolean nearest = c[0].equals("nearest");
            RgbImage want = fromChw(lines.get(i + 1), ow, oh);
            RgbImage got = Transforms.resize(input, ow, oh, nearest ? Interpolation.NEAREST : Interpolation.BILINEAR);
            for (int k = 0; k < want.rgb().length; k++) {
                int diff = Math.abs((want.rgb()[k] & 0xff) - (got.rgb()[k] & 0xff));
                assertTrue(diff <= (nearest ? 0 : 1), lines.get(i) + ": value " + k + " differs by " + diff);
            }
        }
    }

    private static RgbImage fromChw(String line, int w, int h) {
        String[] v = line.split(" ");
        byte[] rgb = new byte[w * h * 3];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < w * h; i++) {
                rgb[i * 3 + c] = (byte) Integer.parseInt(v[c * w * h + i]);
            }
        }
        return new RgbImage(w, h, rgb);
    }
}
