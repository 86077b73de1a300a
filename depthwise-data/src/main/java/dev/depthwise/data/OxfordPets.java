package dev.depthwise.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A directory in the Oxford-IIIT Pet layout, as the official archives extract:
 * <pre>
 *   images/NAME.jpg                 (any image format, whatever the extension says)
 *   annotations/trimaps/NAME.png    1 pet, 2 background, 3 border
 *   annotations/trainval.txt        lines "NAME CLASS-ID SPECIES BREED-ID"; '#' starts a comment
 *   annotations/test.txt
 * </pre>
 * Opening checks the layout and parses the lists; images are decoded only when loaded, so a bad image
 * is found (and skipped) then.
 */
public final class OxfordPets {
    public static final String IMAGES = "images";
    public static final String TRIMAPS = "annotations/trimaps";

    private final Path dir;

    private OxfordPets(Path dir) {
        this.dir = dir;
    }

    /** Opens {@code dir}, failing with a message naming each missing part if it is not in the layout. */
    public static OxfordPets open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("data directory " + dir
                    + (Files.exists(dir) ? " is a file, not a directory" : " does not exist"));
        }
        List<String> missing = new ArrayList<>();
        for (String sub : List.of(IMAGES, TRIMAPS)) {
            if (!Files.isDirectory(dir.resolve(sub))) {
                missing.add(sub + "/");
            }
        }
        for (Split split : Split.values()) {
            if (!Files.isRegularFile(listFile(dir, split))) {
                missing.add("annotations/" + split.listFile());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(dir + " is not in the Oxford-IIIT Pet layout: missing "
                    + String.join(", ", missing) + " (expected images/NAME.jpg, annotations/trimaps/NAME.png,"
                    + " annotations/trainval.txt and annotations/test.txt; 'depthwise download DIR' fetches the"
                    + " dataset, 'depthwise generate DIR' makes a synthetic one)");
        }
        return new OxfordPets(dir);
    }

    public Path dir() {
        return dir;
    }

    public List<PetEntry> trainval() {
        return entries(Split.TRAINVAL);
    }

    public List<PetEntry> test() {
        return entries(Split.TEST);
    }

    /** The entries of a split's list file, in file order. A malformed line fails with its file and line number. */
    public List<PetEntry> entries(Split split) {
        Path list = listFile(dir, split);
        List<String> lines;
        try {
            lines = Files.readAllLines(list, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + list + ": " + e.getMessage(), e);
        }
        List<PetEntry> entries = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length != 4) {
                throw new IllegalArgumentException(list + " line " + (i + 1) + ": expected 'NAME CLASS-ID SPECIES BREED-ID', got '"
                        + line + "'");
            }
            try {
                entries.add(new PetEntry(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                        imageFile(f[0]), trimapFile(f[0])));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(list + " line " + (i + 1) + ": ids must be integers, got '" + line + "'");
            }
        }
        return entries;
    }

    public Path imageFile(String name) {
        return dir.resolve(IMAGES).resolve(name + ".jpg");
    }

    public Path trimapFile(String name) {
        return dir.resolve(TRIMAPS).resolve(name + ".png");
    }

    static Path listFile(Path dir, Split split) {
        return dir.resolve("annotations").resolve(split.listFile());
    }
}
