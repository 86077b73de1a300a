package dev.depthwise.models;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything needed to rebuild a model: its registry name and options. Saved in checkpoints so a
 * checkpoint names the exact architecture its weights belong to.
 *
 * @param name      one of {@link Models#NAMES}
 * @param classes   output classes
 * @param width     MobileNetV2 width multiplier (ignored by SegNet)
 * @param plainHead SegNet only: a plain conv classifier instead of the article's conv-BN-ReLU
 * @param seed      initialisation seed
 */
public record ModelSpec(String name, int classes, double width, boolean plainHead, long seed) {
    public ModelSpec {
        Models.checkName(name);
        if (classes < 1) {
            throw new IllegalArgumentException("model " + name + ": classes must be >= 1, got " + classes);
        }
        if (!(width > 0) || width > 4) {
            throw new IllegalArgumentException("model " + name + ": width must be in (0, 4], got " + width);
        }
    }

    /** The defaults: 1000 classes for {@code mobilenet_v2} (ImageNet), 3 (pet, background, border) otherwise. */
    public static ModelSpec of(String name) {
        Models.checkName(name);
        return new ModelSpec(name, name.equals(Models.MOBILENET_V2) ? 1000 : 3, 1.0, false, 0);
    }

    public ModelSpec withClasses(int k) {
        return new ModelSpec(name, k, width, plainHead, seed);
    }

    public ModelSpec withWidth(double w) {
        return new ModelSpec(name, classes, w, plainHead, seed);
    }

    public ModelSpec withPlainHead(boolean plain) {
        return new ModelSpec(name, classes, width, plain, seed);
    }

    public ModelSpec withSeed(long s) {
        return new ModelSpec(name, classes, width, plainHead, s);
    }

    /** String form for checkpoint metadata; {@link #fromMap} reads it back. */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("classes", Integer.toString(classes));
        m.put("width", Double.toString(width));
        m.put("plain_head", Boolean.toString(plainHead));
        m.put("seed", Long.toString(seed));
        return m;
    }

    public static ModelSpec fromMap(Map<String, String> m) {
        String name = m.get("name");
        if (name == null) {
            throw new IllegalArgumentException("model spec without a name: " + m);
        }
        ModelSpec d = of(name);
        try {
            return new ModelSpec(name,
                    m.containsKey("classes") ? Integer.parseInt(m.get("classes")) : d.classes(),
                    m.containsKey("width") ? Double.parseDouble(m.get("width")) : d.width(),
                    Boolean.parseBoolean(m.getOrDefault("plain_head", "false")),
                    m.containsKey("seed") ? Long.parseLong(m.get("seed")) : d.seed());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("model spec with a bad number: " + m, e);
        }
    }
}
