package dev.depthwise.io;

import dev.depthwise.engine.IoErrors;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file so that a crash never leaves it half-written: the bytes go to a temporary file in the same
 * directory, are forced to disk, and the temporary file is renamed over the target in one step; then the
 * directory is synced so the rename itself survives a power cut. Every file we write (checkpoints, ONNX
 * models, PNGs, reports) goes through here.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Something that writes a whole file's content to a stream. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    public static void write(Path file, byte[] bytes) throws IOException {
        write(file, out -> out.write(bytes));
    }

    /**
     * Writes {@code file} atomically. Any failure (a full disk, a directory that cannot hold files, no
     * permission) is an {@link IOException} naming {@code file}, never the temporary file, which is removed.
     */
    public static void write(Path file, Writer writer) throws IOException {
        if (Files.isDirectory(file)) {
            // The rename would quietly replace an empty directory by the file.
            throw new IOException(file + ": is a directory; give a file name");
        }
        Path temp = null;
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            temp = Files.createTempFile(dir, "." + file.getFileName(), TEMP_SUFFIX);
            makeReadable(temp);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = Channels.newOutputStream(channel);
                writer.writeTo(out);
                out.flush();
                channel.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(dir);
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + IoErrors.reason(e), e);
        } finally {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static final String TEMP_SUFFIX = ".tmp";

    /**
     * Creates {@code dir} if needed and checks that a file can be made in it, so that a long job whose outputs go
     * there fails before its work rather than after (a read-only run directory, a file where a folder should be).
     */
    public static void checkWritable(Path dir) throws IOException {
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".probe", TEMP_SUFFIX));
        } catch (IOException e) {
            throw new IOException("cannot write in " + dir + ": " + IoErrors.reason(e), e);
        }
    }

    /**
     * Removes the temporary files {@link #write} leaves in {@code dir} when the process is killed mid-write
     * ({@code .NAME<digits>.tmp}); call it when a program starts to own {@code dir} again, never while another
     * writer may be using it. A directory that does not exist is left alone.
     */
    public static void deleteStaleTemporaries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var list = Files.list(dir)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") && name.matches("\\..+[0-9]+\\.tmp") && Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Temporary files are created private (rw-------); the outputs are ordinary files others may read. */
    private static void makeReadable(Path temp) throws IOException {
        if (temp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory; the rename is still atomic there.
        }
    }
}
