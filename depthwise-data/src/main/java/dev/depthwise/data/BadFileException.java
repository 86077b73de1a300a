package dev.depthwise.data;

import dev.depthwise.engine.OneLine;
import java.nio.file.Path;

/**
 * A file that cannot be used as a sample (unreadable, corrupt, truncated, too large, inconsistent); the run
 * skips it and goes on. The message is one line starting with the file's name.
 */
public class BadFileException extends Exception {
    private final Path file;
    private final String name;
    private final String reason;

    public BadFileException(Path file, String reason) {
        this(file, reason, null);
    }

    /**
     * {@code reason} may quote the file's bytes or a decoder's message, and a file's name may hold a line break
     * (which could forge a line of the run's output): both are kept to one line ({@link OneLine}).
     */
    public BadFileException(Path file, String reason, Throwable cause) {
        super(OneLine.of(file.toString()) + ": " + OneLine.of(reason), cause);
        this.file = file;
        this.name = file.toString();
        this.reason = OneLine.of(reason);
    }

    /** For bytes that never were a file here (an upload): {@code name} is what the sender called them. */
    public BadFileException(String name, String reason) {
        super(OneLine.of(name) + ": " + OneLine.of(reason));
        this.file = null;
        this.name = name;
        this.reason = OneLine.of(reason);
    }

    /** The file at fault, or null for bytes that came without one. */
    public Path file() {
        return file;
    }

    /** The file's path, or the name the bytes came with. */
    public String name() {
        return name;
    }

    /** What is wrong, without the name. */
    public String reason() {
        return reason;
    }
}
