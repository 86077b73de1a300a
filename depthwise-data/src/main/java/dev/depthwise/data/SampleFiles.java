package dev.depthwise.data;

import java.nio.file.Path;

/** One sample of a dataset: its name (the file stem) and its image and mask files, not yet read. */
public record SampleFiles(String name, Path image, Path mask) {
}
