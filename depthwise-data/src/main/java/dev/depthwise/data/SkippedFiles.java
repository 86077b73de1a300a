package dev.depthwise.data;

import dev.depthwise.engine.OneLine;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The run's record of skipped files: one warning line per file, the first time it is seen
 * (a bad file met again in the next epoch is not reported twice), and a count for the summary.
 * Also notes odd files that were read all the same (PNG or GIF bytes behind a {@code .jpg} name),
 * one line each, so a user learns about them without losing the sample.
 * Thread-safe: the loader's worker threads report here.
 */
public final class SkippedFiles {
    private final PrintStream out;
    private final Map<Path, String> reasons = new LinkedHashMap<>();
    private final Map<Path, String> notes = new LinkedHashMap<>();
    private final Map<String, String> lines = new LinkedHashMap<>();

    /** Warnings go to {@code out}, or nowhere if it is null. */
    public SkippedFiles(PrintStream out) {
        this.out = out;
    }

    /** Warnings go to standard error. */
    public static SkippedFiles toStderr() {
        return new SkippedFiles(System.err);
    }

    public void report(BadFileException e) {
        report(e.file(), e.reason());
    }

    public synchronized void report(Path file, String reason) {
        if (reasons.putIfAbsent(file, reason) == null && out != null) {
            out.println("warning: skipping " + OneLine.of(file.toString()) + ": " + reason);
        }
    }

    /** A line of a list file that was left out; printed once per line, counted apart from files. */
    public synchronized void reportLine(SplitListReader.SkippedLine line) {
        String where = "line " + line.number() + " of " + line.list();
        if (lines.putIfAbsent(where, line.reason()) == null && out != null) {
            out.println("warning: skipping " + line.describe());
        }
    }

    public synchronized int lineCount() {
        return lines.size();
    }

    /** An odd file that was read anyway; printed once per file, not counted as skipped. */
    public synchronized void note(Path file, String remark) {
        if (notes.putIfAbsent(file, remark) == null && out != null) {
            out.println("note: " + OneLine.of(file.toString()) + ": " + remark);
        }
    }

    public synchronized int noteCount() {
        return notes.size();
    }

    public synchronized List<Path> notedFiles() {
        return new ArrayList<>(notes.keySet());
    }

    public synchronized int count() {
        return reasons.size();
    }

    public synchronized List<Path> files() {
        return new ArrayList<>(reasons.keySet());
    }

    public synchronized String reason(Path file) {
        return reasons.get(file);
    }

    /** One line for the end of a run, e.g. "2 files skipped (see warnings above); 1 odd file read (see notes)". */
    public synchronized String summary() {
        int n = reasons.size();
        String skipped = n == 0 ? "no files skipped" : n + (n == 1 ? " file" : " files") + " skipped (see warnings above)";
        int l = lines.size();
        if (l > 0) {
            skipped += "; " + l + (l == 1 ? " list line" : " list lines") + " skipped (see warnings above)";
        }
        int k = notes.size();
        return k == 0 ? skipped : skipped + "; " + k + (k == 1 ? " odd file" : " odd files") + " read (see notes)";
    }
}
