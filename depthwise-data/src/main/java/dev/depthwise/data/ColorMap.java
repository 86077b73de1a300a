package dev.depthwise.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The colours of a colour-mask dataset, as CamVid and Cityscapes ship them: one {@code R,G,B name} line per
 * class, class indices in line order; '#' starts a comment.
 */
public record ColorMap(Path file, List<String> names, Map<Integer, Integer> classByColor) {

    public static ColorMap read(Path file) {
        List<String> lines = TextLines.read(file);
        List<String> names = new ArrayList<>();
        Map<Integer, Integer> byColor = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            String[] rgb = parts[0].split(",");
            int color;
            try {
                if (rgb.length != 3 || parts.length != 2) {
                    throw new NumberFormatException();
                }
                color = 0;
                for (String v : rgb) {
                    int c = Integer.parseInt(v.strip());
                    if (c < 0 || c > 255) {
                        throw new NumberFormatException();
                    }
                    color = color << 8 | c;
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected 'R,G,B name' with R, G, B"
                        + " in 0-255, got '" + line + "'");
            }
            if (byColor.putIfAbsent(color, names.size()) != null) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": colour " + describe(color)
                        + " is already class '" + names.get(byColor.get(color)) + "'");
            }
            names.add(parts[1].strip());
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException(file + ": no colours (expected 'R,G,B name' per line)");
        }
        if (names.size() > Mask.MAX_CLASSES) {
            throw new IllegalArgumentException(file + ": " + names.size() + " colours, at most " + Mask.MAX_CLASSES);
        }
        return new ColorMap(file, List.copyOf(names), Map.copyOf(byColor));
    }

    /** The class of a 0xRRGGBB colour, or -1. */
    public int classOf(int rgb) {
        Integer c = classByColor.get(rgb);
        return c == null ? -1 : c;
    }

    static String describe(int rgb) {
        return String.format(Locale.ROOT, "%d,%d,%d", rgb >> 16 & 0xff, rgb >> 8 & 0xff, rgb & 0xff);
    }
}
