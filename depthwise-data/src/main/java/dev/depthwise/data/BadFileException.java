package dev.depthwise.data;

import java.nio.file.Path;

/** A file that cannot be used as a sample (unreadable, corrupt, inconsistent); the run skips it and goes on. */
public class BadFileException extends Exception {
    private final Path file;

    public BadFileException(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
    }

    public BadFileException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
