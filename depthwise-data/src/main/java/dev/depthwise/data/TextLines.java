package dev.depthwise.data;

import dev.depthwise.engine.IoErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The lines of a dataset's text file (class names, a colour map, a split list) as editors write them: UTF-8, a byte
 * order mark at the start dropped (Windows' Notepad writes one; kept, it became part of class 0's name), and
 * {@code \n}, {@code \r\n} or {@code \r} line ends.
 */
final class TextLines {
    private TextLines() {
    }

    /** The lines of {@code file}; a file that cannot be read is an {@link UncheckedIOException} naming it. */
    static List<String> read(Path file) {
        try {
            return of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + IoErrors.reason(e), e);
        }
    }

    /** The lines of {@code text}, a last empty line after a final line end left out. */
    static List<String> of(String text) {
        String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
        List<String> lines = List.of(body.split("\r\n|\r|\n", -1));
        return !lines.isEmpty() && lines.get(lines.size() - 1).isEmpty() ? lines.subList(0, lines.size() - 1) : lines;
    }
}
