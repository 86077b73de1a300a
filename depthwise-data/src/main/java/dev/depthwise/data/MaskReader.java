package dev.depthwise.data;

import java.nio.file.Path;

/** Reads one mask file of a layout into classes; a file that cannot be used is a {@link BadFileException}. */
@FunctionalInterface
public interface MaskReader {
    Mask read(Path file) throws BadFileException;
}
