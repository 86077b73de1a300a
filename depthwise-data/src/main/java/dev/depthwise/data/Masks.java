package dev.depthwise.data;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Mask readers for the layouts beyond the pet trimaps. An index mask holds class indices as its stored
 * samples: the grey value of a grey PNG, or the palette index of a palette ("P" mode) PNG, never its colour,
 * as PIL reads them; 255 means {@link Mask#IGNORE}. A colour mask is mapped through a {@link ColorMap}.
 */
public final class Masks {
    private Masks() {
    }

    /** Index masks with classes 0..numClasses-1 and 255; any other value makes the file bad, naming it. */
    public static MaskReader indexed(int numClasses) {
        if (numClasses < 1 || numClasses > Mask.MAX_CLASSES) {
            throw new IllegalArgumentException("classes: " + numClasses + " is outside 1.." + Mask.MAX_CLASSES);
        }
        return file -> {
            Mask mask = readIndices(file);
            byte[] v = mask.classes();
            for (int i = 0; i < v.length; i++) {
                int c = v[i] & 0xff;
                if (c >= numClasses && c != Mask.IGNORE) {
                    throw new BadFileException(file, "mask value " + c + " at (" + i % mask.width() + ","
                            + i / mask.width() + ") is outside the classes 0-" + (numClasses - 1) + " (255 = ignore)");
                }
            }
            return mask;
        };
    }

    /** The stored samples of an index mask, unchecked (0..255). */
    public static Mask readIndices(Path file) throws BadFileException {
        BufferedImage image = ImageDecoder.decodeMask(file, DecodeLimits.DEFAULT).image();
        Raster raster = image.getRaster();
        if (!(image.getColorModel() instanceof IndexColorModel) && raster.getNumBands() >= 3) {
            throw new BadFileException(file, "an RGB mask: its colours are not class indices (give the colours"
                    + " with --colors FILE, 'R,G,B name' per line, or save the mask as grey or palette PNG)");
        }
        int w = raster.getWidth();
        int h = raster.getHeight();
        if (raster.getSampleModel().getSampleSize(0) > 8) {
            throw new BadFileException(file, "a " + raster.getSampleModel().getSampleSize(0)
                    + "-bit mask; class indices must be 8-bit (grey or palette PNG)");
        }
        int[] row = new int[w];
        byte[] classes = new byte[w * h];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                classes[y * w + x] = (byte) row[x];
            }
        }
        return new Mask(w, h, classes);
    }

    /** RGB masks mapped by {@code colors}; colours not in the map make the file bad, each named. */
    public static MaskReader colors(ColorMap colors) {
        return file -> {
            RgbImage rgb = ImageDecoder.readMaskRgb(file);
            byte[] classes = new byte[rgb.width() * rgb.height()];
            Map<String, String> unknown = new TreeMap<>();
            for (int i = 0; i < classes.length; i++) {
                int color = rgbAt(rgb, i);
                int c = colors.classOf(color);
                if (c < 0) {
                    unknown.putIfAbsent(ColorMap.describe(color), String.format(Locale.ROOT, "%s at (%d,%d)",
                            ColorMap.describe(color), i % rgb.width(), i / rgb.width()));
                }
                classes[i] = (byte) c;
            }
            if (!unknown.isEmpty()) {
                throw new UnknownColorsException(file, List.copyOf(unknown.keySet()), "colour"
                        + (unknown.size() == 1 ? " " : "s ") + String.join(", ", unknown.values())
                        + " not in the colour map " + colors.file());
            }
            return new Mask(rgb.width(), rgb.height(), classes);
        };
    }

    /** A colour mask with colours the map does not have; {@link #colors()} lists them as "R,G,B". */
    public static final class UnknownColorsException extends BadFileException {
        private final List<String> colors;

        UnknownColorsException(Path file, List<String> colors, String reason) {
            super(file, reason);
            this.colors = colors;
        }

        public List<String> colors() {
            return colors;
        }
    }

    static int rgbAt(RgbImage image, int pixel) {
        byte[] b = image.rgb();
        return (b[pixel * 3] & 0xff) << 16 | (b[pixel * 3 + 1] & 0xff) << 8 | (b[pixel * 3 + 2] & 0xff);
    }
}
