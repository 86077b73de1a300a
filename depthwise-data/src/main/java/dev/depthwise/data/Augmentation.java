package dev.depthwise.data;

import java.util.random.RandomGenerator;

/**
 * The article's training augmentation: a random horizontal flip with probability {@code flipProbability}
 * (same flip for image and mask) and torchvision's {@code ColorJitter(contrast=c)}: a contrast factor drawn
 * uniformly from [max(0, 1-c), 1+c].
 */
public record Augmentation(double flipProbability, double contrast) {
    /** The article's: flip p=0.5, contrast 0.3. */
    public static final Augmentation ARTICLE = new Augmentation(0.5, 0.3);
    public static final Augmentation NONE = new Augmentation(0, 0);

    public Augmentation {
        if (flipProbability < 0 || flipProbability > 1 || contrast < 0) {
            throw new IllegalArgumentException("augmentation: flip probability " + flipProbability
                    + " must be in [0,1] and contrast " + contrast + " >= 0");
        }
    }

    /** The random choices for one sample; always draws the same numbers so a run repeats exactly. */
    public Choice draw(RandomGenerator rng) {
        boolean flip = rng.nextDouble() < flipProbability;
        double low = Math.max(0, 1 - contrast);
        float factor = (float) (low + rng.nextDouble() * (1 + contrast - low));
        return new Choice(flip, contrast == 0 ? 1f : factor);
    }

    /** One sample's draw: whether to flip, and the contrast factor (1 = unchanged). */
    public record Choice(boolean flip, float contrastFactor) {
    }
}
