package dev.depthwise.data;

import dev.depthwise.engine.OneLine;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a dataset's list file: one entry a line, fields separated by white space, {@code #} starting a comment,
 * blank lines ignored. A line that does not parse is skipped with its number and reason, as a bad image is, rather
 * than refusing the whole dataset; the caller reports the skipped lines ({@link SkippedFiles#reportLine}).
 * Bytes that are not UTF-8 are read as U+FFFD, so the line holding them is the one that fails.
 */
public final class SplitListReader {
    private SplitListReader() {
    }

    /** Turns one line's fields into an entry, or throws {@link IllegalArgumentException} saying why it cannot. */
    @FunctionalInterface
    public interface LineParser<T> {
        T parse(String[] fields);
    }

    /** A line left out: its 1-based number, its text and why. */
    public record SkippedLine(Path list, int number, String text, String reason) {
        /** One line for a warning: {@code line 7 of LIST ('TEXT'): REASON}. */
        public String describe() {
            return "line " + number + " of " + list + " ('" + OneLine.of(text) + "'): " + OneLine.of(reason);
        }
    }

    /** The entries of the good lines in file order, and the lines skipped. */
    public record Result<T>(List<T> entries, List<SkippedLine> skipped) {
        public Result {
            entries = List.copyOf(entries);
            skipped = List.copyOf(skipped);
        }

        /** The entries, each skipped line reported to {@code report}. */
        public List<T> entriesReportingTo(SkippedFiles report) {
            skipped.forEach(report::reportLine);
            return entries;
        }
    }

    /** Reads {@code list}; a file that cannot be read at all is an {@link UncheckedIOException} naming it. */
    public static <T> Result<T> read(Path list, LineParser<T> parser) {
        return parse(list, TextLines.read(list), parser);
    }

    /** As {@link #read(Path, LineParser)} for text already read; {@code list} names it in the skipped lines. */
    public static <T> Result<T> parse(Path list, String text, LineParser<T> parser) {
        return parse(list, TextLines.of(text), parser);
    }

    /**
     * A line naming an entry already listed is skipped too: counted twice, a sample would weigh double in training
     * and in the metrics, and nothing would say so.
     */
    private static <T> Result<T> parse(Path list, List<String> lines, LineParser<T> parser) {
        List<T> entries = new ArrayList<>();
        List<SkippedLine> skipped = new ArrayList<>();
        Map<T, Integer> firstLine = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                if (line.indexOf('\uFFFD') >= 0) {
                    throw new IllegalArgumentException("holds bytes that are not UTF-8");
                }
                T entry = parser.parse(line.split("\\s+"));
                Integer first = firstLine.putIfAbsent(entry, i + 1);
                if (first != null) {
                    throw new IllegalArgumentException("the same sample as line " + first);
                }
                entries.add(entry);
            } catch (IllegalArgumentException e) {
                skipped.add(new SkippedLine(list, i + 1, line, e.getMessage()));
            }
        }
        return new Result<>(entries, skipped);
    }

    /**
     * A sample name from a list, refused when it could reach outside the dataset's folders (a path separator,
     * {@code ..}) or is not a plain file name.
     */
    public static String checkName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\\') >= 0
                || hasControlCharacter(name)) {
            throw new IllegalArgumentException("'" + name + "' is not a plain file name");
        }
        return name;
    }

    /**
     * A path from a list, relative to {@code dir}, resolved in it; refused when it is absolute or its {@code ..}
     * lead outside {@code dir}, so that a list can name only the dataset's own files.
     */
    public static Path resolveInside(Path dir, String path) {
        if (hasControlCharacter(path)) {
            throw new IllegalArgumentException("'" + path + "' is not a file path");
        }
        Path relative = Path.of(path);
        if (relative.isAbsolute() || !dir.resolve(relative).normalize().startsWith(dir.normalize())) {
            throw new IllegalArgumentException("'" + path + "' leads outside the dataset folder");
        }
        return dir.resolve(relative);
    }

    private static boolean hasControlCharacter(String s) {
        return s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
    }
}
