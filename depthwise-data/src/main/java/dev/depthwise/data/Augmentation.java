package dev.depthwise.data;

import java.util.random.RandomGenerator;

/**
 * Training augmentation. The article's: a random horizontal flip with probability {@code flipProbability}
 * (same flip for image and mask) and torchvision's {@code ColorJitter(contrast=c)}: a contrast factor drawn
 * uniformly from [max(0, 1-c), 1+c]. The small-data recipe adds brightness and saturation jitter (factors
 * drawn the same way) and a random affine view: a zoom in [minZoom, maxZoom] (above 1 crops, as a random
 * resized crop), a rotation within ±{@code maxRotationDegrees} and a shift that keeps the zoomed view inside
 * the image where it can; mask pixels from outside the image become {@link Mask#IGNORE}.
 */
public record Augmentation(double flipProbability, double contrast, double brightness, double saturation,
                           double minZoom, double maxZoom, double maxRotationDegrees) {
    /** The article's: flip p=0.5, contrast 0.3. */
    public static final Augmentation ARTICLE = new Augmentation(0.5, 0.3);
    public static final Augmentation NONE = new Augmentation(0, 0);
    /** The small-data recipe's: flips, colour jitter 0.3, zoom 0.9-1.3 (crops down to 59% of the area), rotation ±15°. */
    public static final Augmentation SMALL_DATA = new Augmentation(0.5, 0.3, 0.3, 0.3, 0.9, 1.3, 15);

    /** Flip and contrast only, as the article. */
    public Augmentation(double flipProbability, double contrast) {
        this(flipProbability, contrast, 0, 0, 1, 1, 0);
    }

    public Augmentation {
        if (flipProbability < 0 || flipProbability > 1 || contrast < 0 || brightness < 0 || saturation < 0
                || !(minZoom > 0) || maxZoom < minZoom || maxRotationDegrees < 0) {
            throw new IllegalArgumentException("augmentation: flip probability " + flipProbability
                    + " must be in [0,1], jitter " + contrast + "/" + brightness + "/" + saturation + " >= 0, zoom "
                    + minZoom + "-" + maxZoom + " positive and ordered, rotation " + maxRotationDegrees + " >= 0");
        }
    }

    /** True when {@link Choice#zoom()}, angle and shift can be other than the identity. */
    public boolean affine() {
        return minZoom != 1 || maxZoom != 1 || maxRotationDegrees != 0;
    }

    /**
     * The random choices for one sample. The article's two draws come first and are always made, so the
     * article's runs repeat exactly; the others are drawn only when enabled.
     */
    public Choice draw(RandomGenerator rng) {
        boolean flip = rng.nextDouble() < flipProbability;
        float contrastFactor = factor(rng, contrast);
        float brightnessFactor = brightness == 0 ? 1f : factor(rng, brightness);
        float saturationFactor = saturation == 0 ? 1f : factor(rng, saturation);
        if (!affine()) {
            return new Choice(flip, contrastFactor, brightnessFactor, saturationFactor, 1, 0, 0, 0);
        }
        double zoom = minZoom + rng.nextDouble() * (maxZoom - minZoom);
        double angle = Math.toRadians((2 * rng.nextDouble() - 1) * maxRotationDegrees);
        // A shift within what the zoom crops away (a fraction of the image size).
        double room = Math.max(0, 1 - 1 / zoom) / 2;
        double shiftX = (2 * rng.nextDouble() - 1) * room;
        double shiftY = (2 * rng.nextDouble() - 1) * room;
        return new Choice(flip, contrastFactor, brightnessFactor, saturationFactor, zoom, angle, shiftX, shiftY);
    }

    private static float factor(RandomGenerator rng, double amount) {
        double low = Math.max(0, 1 - amount);
        float factor = (float) (low + rng.nextDouble() * (1 + amount - low));
        return amount == 0 ? 1f : factor;
    }

    /**
     * One sample's draw: whether to flip, the colour factors (1 = unchanged), and the affine view: zoom,
     * rotation angle in radians, shift as fractions of the width and height.
     */
    public record Choice(boolean flip, float contrastFactor, float brightnessFactor, float saturationFactor,
                         double zoom, double angle, double shiftX, double shiftY) {
        public boolean affine() {
            return zoom != 1 || angle != 0 || shiftX != 0 || shiftY != 0;
        }
    }
}
