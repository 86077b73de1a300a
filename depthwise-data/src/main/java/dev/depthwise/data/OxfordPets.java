package dev.depthwise.data;

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

    /** The trainval entries; malformed lines of the list are skipped with a warning on standard error. */
    public List<PetEntry> trainval() {
        return entries(Split.TRAINVAL, SkippedFiles.toStderr());
    }

    /** The test entries; malformed lines of the list are skipped with a warning on standard error. */
    public List<PetEntry> test() {
        return entries(Split.TEST, SkippedFiles.toStderr());
    }

    /** The entries of a split's list file, in file order; a malformed line is skipped and reported to {@code report}. */
    public List<PetEntry> entries(Split split, SkippedFiles report) {
        return readList(split).entriesReportingTo(report);
    }

    /** The entries of a split's list file and the lines that did not parse. */
    public SplitListReader.Result<PetEntry> readList(Split split) {
        return SplitListReader.read(listFile(dir, split), this::entry);
    }

    /** One list line's fields as an entry: {@code NAME CLASS-ID SPECIES BREED-ID}. */
    PetEntry entry(String[] f) {
        if (f.length != 4) {
            throw new IllegalArgumentException("expected 'NAME CLASS-ID SPECIES BREED-ID', got " + f.length + " fields");
        }
        String name = SplitListReader.checkName(f[0]);
        try {
            return new PetEntry(name, Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                    imageFile(name), trimapFile(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ids must be integers");
        }
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
