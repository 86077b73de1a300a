package dev.depthwise.models;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The 1,000 ImageNet-1k class names in torchvision's index order (the order of its classifier outputs),
 * from the resource written by {@code scripts/make_imagenet_classes.py}.
 */
public final class ImageNetClasses {
    public static final int COUNT = 1000;
    private static final String RESOURCE = "imagenet_classes.txt";
    private static volatile List<String> names;

    private ImageNetClasses() {
    }

    /** Index to name: {@code names().get(207)} is "golden retriever". */
    public static List<String> names() {
        List<String> n = names;
        if (n == null) {
            n = load();
            names = n;
        }
        return n;
    }

    private static List<String> load() {
        try (InputStream in = ImageNetClasses.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " missing from the depthwise-nn jar");
            }
            List<String> list = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList();
            if (list.size() != COUNT) {
                throw new IllegalStateException(RESOURCE + " has " + list.size() + " names, expected " + COUNT);
            }
            return list;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
