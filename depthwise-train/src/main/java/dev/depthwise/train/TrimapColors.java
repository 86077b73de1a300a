package dev.depthwise.train;

import dev.depthwise.data.Mask;

/** The colours our pictures give the three trimap classes: pet, background, border. */
public final class TrimapColors {
    private static final int[] RGB = {
            0xF2A93B, // pet: warm orange, stands out on photos
            0x23305C, // background: dark blue
            0xF0F0F0, // border: near white, the thin band around the pet
    };

    private TrimapColors() {
    }

    /** The 0xRRGGBB colour of a class; grey for a class outside the three. */
    public static int rgb(int cls) {
        return cls >= 0 && cls < RGB.length ? RGB[cls] : 0x808080;
    }

    static {
        if (Mask.NUM_CLASSES != RGB.length) {
            throw new IllegalStateException("one colour per trimap class");
        }
    }
}
