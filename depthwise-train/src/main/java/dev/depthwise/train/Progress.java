package dev.depthwise.train;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The training progress line on standard error: epoch, step of total, running loss, images per second
 * and the epoch's remaining time. On a terminal one line is redrawn in place; otherwise (a log file,
 * CI) a plain line is printed about every tenth of the epoch, so logs stay short and readable.
 */
public final class Progress {
    private static final int BAR_WIDTH = 24;

    private final PrintStream out;
    private final boolean terminal;
    private int epoch;
    private int epochs;
    private int steps;
    private long startNanos;
    private long images;
    private double lossSum;
    private int lossCount;

    public Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** Progress on standard error, redrawn in place when the process runs in a terminal. */
    public static Progress toStderr() {
        return new Progress(System.err, isTerminal());
    }

    /**
     * Up to Java 21 {@code System.console()} is null unless the process talks to a terminal; from Java 22
     * it may exist anyway, and {@code Console.isTerminal()} (looked up reflectively, we build for 17) tells.
     */
    static boolean isTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /** A progress that prints nothing (tests, library use). */
    public static Progress silent() {
        return new Progress(null, false);
    }

    public void startEpoch(int epoch, int epochs, int steps) {
        this.epoch = epoch;
        this.epochs = epochs;
        this.steps = steps;
        this.startNanos = System.nanoTime();
        this.images = 0;
        this.lossSum = 0;
        this.lossCount = 0;
    }

    /** Called after each training step ({@code step} 1-based) with its loss and batch size. */
    public void step(int step, double loss, int batchImages) {
        images += batchImages;
        lossSum += loss;
        lossCount++;
        if (out == null) {
            return;
        }
        if (terminal) {
            out.print("\r" + line(step) + "\u001b[K");
            out.flush();
        } else if (step == steps || step % Math.max(1, steps / 10) == 0) {
            out.println(line(step));
        }
    }

    /** Ends the epoch's progress line with a summary (test metrics). */
    public void endEpoch(String summary) {
        if (out == null) {
            return;
        }
        if (terminal) {
            out.print("\r\u001b[K");
        }
        out.println(summary);
    }

    /** Prints a message on its own line. */
    public void message(String text) {
        if (out != null) {
            out.println(text);
        }
    }

    public double seconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    public double imagesPerSecond() {
        double s = seconds();
        return s > 0 ? images / s : 0;
    }

    public double meanLoss() {
        return lossCount == 0 ? 0 : lossSum / lossCount;
    }

    private String line(int step) {
        double elapsed = seconds();
        double eta = step == 0 ? 0 : elapsed / step * (steps - step);
        int filled = steps == 0 ? BAR_WIDTH : (int) ((long) BAR_WIDTH * step / steps);
        String bar = "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled);
        return String.format(Locale.ROOT, "epoch %d/%d [%s] %d/%d loss %.4f %.1f img/s ETA %s",
                epoch, epochs, bar, step, steps, meanLoss(), imagesPerSecond(), clock(eta));
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }
}
