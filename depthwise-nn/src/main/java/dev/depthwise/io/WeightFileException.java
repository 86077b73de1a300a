package dev.depthwise.io;

import dev.depthwise.engine.OneLine;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A weights file that cannot be read: truncated, foreign, or inconsistent. The message always names the
 * file and says what was expected, so a bad file is caught at the border instead of deep inside a model.
 */
public class WeightFileException extends IOException {

    /** {@code problem} may quote the file's own bytes: it is kept to one line ({@link OneLine}). */
    public WeightFileException(Path file, String problem) {
        super(file + ": " + OneLine.of(problem));
    }

    public WeightFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + OneLine.of(problem), cause);
    }

    /** Fails unless {@code file} is a regular file: the JDK's own errors for a directory do not name the path. */
    static void requireRegularFile(Path file) throws WeightFileException {
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new WeightFileException(file, java.nio.file.Files.isDirectory(file)
                    ? "is a directory, not a weights file" : "no such file");
        }
    }
}
