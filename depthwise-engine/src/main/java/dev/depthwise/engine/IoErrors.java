package dev.depthwise.engine;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** Words for an I/O failure, for one-line messages that name the file themselves. */
public final class IoErrors {
    private IoErrors() {
    }

    /**
     * One line for an error, for a command to print. The JDK's file-system exceptions carry only the path as their
     * message ("/data/x" says nothing), so their kind is spelled out.
     */
    public static String describe(Throwable ex) {
        if (ex instanceof FileSystemException fs && fs.getReason() == null) {
            String other = fs.getOtherFile() != null ? " -> " + fs.getOtherFile() : "";
            return fs.getFile() + other + ": " + reason(fs);
        }
        return ex.getMessage() != null ? ex.getMessage() : ex.toString();
    }

    /**
     * What went wrong, without a path: the JDK's file-system exceptions often carry only the path as their
     * message ("/data/x" says nothing), and the path they carry may be a temporary file the user never named.
     */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException fs) {
            if (fs.getReason() != null) {
                return fs.getReason();
            }
            return e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileAlreadyExistsException ? "already exists (and is in the way)"
                    : e instanceof NotDirectoryException ? "not a directory"
                    : e instanceof DirectoryNotEmptyException ? "directory not empty"
                    : "file-system error (" + e.getClass().getSimpleName() + ")";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
