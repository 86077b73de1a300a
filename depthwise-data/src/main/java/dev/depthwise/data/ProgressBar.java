package dev.depthwise.data;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line download progress bar redrawn in place with '\r':
 * {@code images.tar.gz [=========>          ]  45%  356.2/791.9 MB  12.3 MB/s  ETA 0:35}.
 * Redrawn at most a few times a second so a fast local transfer does not flood the terminal.
 */
final class ProgressBar {
    private static final long REDRAW_NANOS = 250_000_000L;
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final long total;
    private final long startBytes;
    private final long startNanos;
    private long lastDraw;
    private int lastLength;

    /** {@code startBytes}: bytes already there when this session began (a resumed download), not counted in the speed. */
    ProgressBar(PrintStream out, String label, long total, long startBytes) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.startBytes = startBytes;
        this.startNanos = System.nanoTime();
        this.lastDraw = startNanos - REDRAW_NANOS;
    }

    void update(long bytes) {
        long now = System.nanoTime();
        if (out != null && now - lastDraw >= REDRAW_NANOS) {
            lastDraw = now;
            out.print("\r" + padded(line(bytes, now - startNanos)));
            out.flush();
        }
    }

    void finish(long bytes) {
        if (out != null) {
            out.println("\r" + padded(line(bytes, System.nanoTime() - startNanos)));
        }
    }

    /** Spaces over what is left of a longer previous line (the ETA disappears at the end). */
    private String padded(String line) {
        String result = line.length() < lastLength ? line + " ".repeat(lastLength - line.length()) : line;
        lastLength = line.length();
        return result;
    }

    String line(long bytes, long elapsedNanos) {
        double fraction = total > 0 ? Math.min(1, (double) bytes / total) : 0;
        int filled = (int) (fraction * WIDTH);
        StringBuilder bar = new StringBuilder(label).append(" [");
        for (int i = 0; i < WIDTH; i++) {
            bar.append(i < filled ? '=' : i == filled && filled < WIDTH ? '>' : ' ');
        }
        double seconds = elapsedNanos / 1e9;
        double rate = seconds > 0 ? (bytes - startBytes) / seconds : 0;
        bar.append(String.format(Locale.ROOT, "] %3d%%  %.1f/%.1f MB  %.1f MB/s", (int) (fraction * 100), bytes / 1e6,
                total / 1e6, rate / 1e6));
        if (rate > 0 && bytes < total) {
            long eta = (long) ((total - bytes) / rate);
            bar.append(String.format(Locale.ROOT, "  ETA %d:%02d", eta / 60, eta % 60));
        }
        return bar.toString();
    }
}
