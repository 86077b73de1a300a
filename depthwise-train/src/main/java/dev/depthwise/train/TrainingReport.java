package dev.depthwise.train;

import dev.depthwise.data.Dataset;
import dev.depthwise.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The end-of-run report: {@code report.html} with charts of loss, pixel accuracy and IoU by epoch, which epoch
 * the run keeps and which split chose it, and that epoch's test metrics. The charts are PNG files next to the page ({@code loss.png}, {@code accuracy.png},
 * {@code iou.png}) and are also embedded in it, so the page alone can be mailed or archived.
 */
public final class TrainingReport {
    public static final String FILE = "report.html";
    private static final int WIDTH = 640;
    private static final int HEIGHT = 400;

    private TrainingReport() {
    }

    /** Writes the report and its charts into {@code dir}; returns the page's path. */
    public static Path write(Path dir, RunConfig config, List<EpochRecord> history, String gridFile) throws IOException {
        if (history.isEmpty()) {
            throw new IllegalArgumentException("report: no epoch finished yet");
        }
        System.setProperty("java.awt.headless", "true");
        double[] epochs = series(history, r -> r.epoch());
        byte[] loss = chart("Loss", "loss", epochs,
                Map.of("train", series(history, EpochRecord::trainLoss), "test", series(history, EpochRecord::testLoss)),
                Styler.LegendPosition.InsideNE);
        boolean carved = EpochRecord.kept(history).validation() != null;
        Map<String, double[]> accuracyLines = new LinkedHashMap<>();
        accuracyLines.put("test", series(history, EpochRecord::pixelAccuracy));
        List<String> names = config.classNames();
        int ignored = config.iouIgnoredClass();
        Map<String, double[]> iouLines = new LinkedHashMap<>();
        String test = carved ? "test " : ""; // beside validation's line, say which split each line is
        iouLines.put(test + (ignored < 0 ? "IoU" : "IoU (" + names.get(ignored) + " left out)"),
                series(history, EpochRecord::iou));
        iouLines.put(test + "mean IoU", series(history, r -> r.test().getOrDefault("mean_iou", 0.0)));
        if (carved) {
            // What chose the kept epoch, beside what it is judged by.
            accuracyLines.put("validation", series(history, r -> validation(r, "pixel_accuracy")));
            iouLines.put("validation mean IoU (chooses the epoch)", series(history, r -> validation(r, "mean_iou")));
        }
        byte[] accuracy = chart(carved ? "Pixel accuracy" : "Test pixel accuracy", "pixel accuracy", epochs,
                accuracyLines, Styler.LegendPosition.InsideSE);
        byte[] iou = chart(carved ? "IoU (test, and validation's mean IoU)" : "Test IoU", "IoU", epochs, iouLines,
                Styler.LegendPosition.InsideSE);
        Map<String, double[]> perClassLines = new LinkedHashMap<>();
        for (String name : names) {
            perClassLines.put(name, series(history, r -> r.test().getOrDefault("iou_" + name, 0.0)));
        }
        byte[] perClass = chart("Test IoU by class", "IoU", epochs, perClassLines, Styler.LegendPosition.OutsideE);
        AtomicFiles.write(dir.resolve("loss.png"), loss);
        AtomicFiles.write(dir.resolve("accuracy.png"), accuracy);
        AtomicFiles.write(dir.resolve("iou.png"), iou);
        AtomicFiles.write(dir.resolve("iou_by_class.png"), perClass);
        Path page = dir.resolve(FILE);
        AtomicFiles.write(page, html(config, history, gridFile, loss, accuracy, iou, perClass)
                .getBytes(StandardCharsets.UTF_8));
        return page;
    }

    private interface Value {
        double of(EpochRecord r);
    }

    /** A validation metric of an epoch; NaN (no point on a chart) for an epoch without validation metrics. */
    private static double validation(EpochRecord r, String metric) {
        return r.validation() == null ? Double.NaN : r.validation().getOrDefault(metric, Double.NaN);
    }

    private static double[] series(List<EpochRecord> history, Value v) {
        return history.stream().mapToDouble(v::of).toArray();
    }

    /** A line chart by epoch; the legend goes in the corner the curves leave free (losses fall, scores rise). */
    private static byte[] chart(String title, String yTitle, double[] x, Map<String, double[]> lines,
                                Styler.LegendPosition legend) throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("epoch").yAxisTitle(yTitle).build();
        chart.getStyler().setLegendVisible(lines.size() > 1);
        chart.getStyler().setLegendPosition(legend);
        chart.getStyler().setDecimalPattern("#0.###");
        lines.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                chart.addSeries(e.getKey(), x, e.getValue()).setMarker(SeriesMarkers.CIRCLE));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        return out.toByteArray();
    }

    private static String html(RunConfig c, List<EpochRecord> history, String gridFile, byte[]... charts) {
        EpochRecord kept = EpochRecord.kept(history);
        boolean carved = kept.validation() != null;
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Depthwise training report</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;max-width:1400px}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;")
                .append("text-align:right}th{background:#f4f4f4}img{margin:4px}</style></head><body>\n")
                .append("<h1>Training report: ").append(escape(c.model().getOrDefault("name", "?"))).append("</h1>\n")
                .append("<p>").append(escape(String.format(Locale.ROOT,
                        "data %s (%s layout, %d classes), %d epochs, batch %d, %dx%d, optimizer %s lr %s, scheduler %s,"
                                + " loss %s, seed %d",
                        c.dataDir(), c.dataset().layout() == null ? "detected" : c.dataset().layout(),
                        c.classNames().size(), c.epochs(), c.batchSize(), c.imageSize(), c.imageSize(), c.optimizer(), c.lr(),
                        c.lrScheduler().describe(), c.loss(), c.seed()))).append("</p>\n");
        h.append("<p><b>").append(escape(keptEpochText(c, history))).append("</b></p>\n");
        h.append("<h2>Test metrics of the kept epoch (").append(kept.epoch()).append(")</h2>\n<table>")
                .append("<tr><th>metric</th><th>value</th></tr>\n");
        kept.test().forEach((k, v) -> h.append("<tr><td style=\"text-align:left\">").append(escape(k))
                .append("</td><td>").append(String.format(Locale.ROOT, "%.4f", v)).append("</td></tr>\n"));
        h.append(String.format(Locale.ROOT, "<tr><td style=\"text-align:left\">test loss</td><td>%.4f</td></tr>\n",
                kept.testLoss()));
        List<String> names = c.classNames();
        h.append("</table>\n<h3>Confusion matrix (rows: target, columns: prediction)</h3>\n<table><tr><th></th>");
        for (String name : names) {
            h.append("<th>").append(escape(name)).append("</th>");
        }
        h.append("</tr>\n");
        for (int t = 0; t < kept.confusion().length; t++) {
            h.append("<tr><th>").append(escape(names.get(t))).append("</th>");
            for (long v : kept.confusion()[t]) {
                h.append("<td>").append(v).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n<h2>By epoch</h2>\n");
        for (byte[] png : charts) {
            h.append("<img alt=\"chart\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
                    .append("\">\n");
        }
        h.append("<table><tr><th>epoch</th><th>lr</th><th>train loss</th><th>test loss</th><th>pixel accuracy</th>")
                .append("<th>IoU</th><th>mean IoU</th><th>soft IoU</th>")
                .append(carved ? "<th>validation pixel accuracy</th><th>validation mean IoU</th>" : "")
                .append("<th>images/s</th><th>seconds</th></tr>\n");
        for (EpochRecord r : history) {
            h.append(String.format(Locale.ROOT, "<tr%s><td>%d</td><td>%.2e</td><td>%.4f</td><td>%.4f</td><td>%.4f</td>"
                            + "<td>%.4f</td><td>%.4f</td><td>%.4f</td>",
                    r == kept ? " style=\"font-weight:bold\"" : "", r.epoch(), r.lr(), r.trainLoss(), r.testLoss(),
                    r.pixelAccuracy(), r.iou(), r.test().getOrDefault("mean_iou", 0.0),
                    r.test().getOrDefault("soft_iou", 0.0)));
            if (carved) {
                h.append(String.format(Locale.ROOT, "<td>%.4f</td><td>%.4f</td>", validation(r, "pixel_accuracy"),
                        validation(r, "mean_iou")));
            }
            h.append(String.format(Locale.ROOT, "<td>%.1f</td><td>%.0f</td></tr>\n", r.imagesPerSecond(), r.seconds()));
        }
        h.append("</table>\n");
        if (gridFile != null) {
            h.append("<h2>Test predictions after the last epoch</h2>\n<p>Rows of seven: input, ground truth, ")
                    .append("prediction.</p>\n").append(Palette.of(names).legendHtml())
                    .append("<img alt=\"predictions\" src=\"").append(escape(gridFile)).append("\">\n");
        }
        return h.append("</body></html>\n").toString();
    }

    /** Which epoch the run keeps and which split chose it, in a sentence. */
    public static String keptEpochText(RunConfig c, List<EpochRecord> history) {
        EpochRecord kept = EpochRecord.kept(history);
        if (kept.validation() == null) {
            return "Kept: the last epoch, " + kept.epoch() + " (" + Trainer.LAST + "). This run has no validation carve"
                    + " (--validation-fraction 0), so no epoch was chosen, and none on the test split.";
        }
        return String.format(Locale.ROOT, "Kept: epoch %d of %d (%s), chosen on the validation carve (%s of the"
                        + " training pairs held out, seeded; %s/%s) by its mean IoU, %.4f. The test split chose nothing.",
                kept.epoch(), history.size(), Trainer.BEST, c.validationFraction(), Dataset.SPLIT_DIR,
                ValidationCarve.FILE, kept.selectionScore());
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
