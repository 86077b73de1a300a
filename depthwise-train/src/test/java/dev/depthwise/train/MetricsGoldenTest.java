package dev.depthwise.train;

import dev.depthwise.engine.Tensor;
import dev.depthwise.io.SafeTensors;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Five classes with ignored (255) pixels against torchmetrics 1.x's definitions, computed in torch by
 * {@code scripts/golden/make_golden.py} (torchmetrics itself is not packaged in Debian). Class 4 is predicted
 * but never a target, so "present" classes and false positives of a class with no pixels are exercised.
 */
class MetricsGoldenTest {
    private static Map<String, Tensor> golden() throws Exception {
        return SafeTensors.read(resource("golden/metrics_5class_ignore.safetensors")).tensors();
    }

    /** Five classes, the headline IoU leaving out class 0, as the golden file's. */
    private static SegmentationMetrics metrics(Tensor logits, int[] target) {
        SegmentationMetrics m = new SegmentationMetrics(5, 0);
        m.update(logits, target);
        return m;
    }

    @Test
    void fiveClassesWithIgnoredPixelsMatchTorchmetricsDefinitions() throws Exception {
        Map<String, Tensor> g = golden();
        SegmentationMetrics m = metrics(g.get("logits"), ints(g.get("target")));

        float[] confusion = g.get("confusion").data();
        long[][] ours = m.confusion().toArray();
        for (int t = 0; t < 5; t++) {
            for (int p = 0; p < 5; p++) {
                assertEquals(confusion[t * 5 + p], ours[t][p], "confusion " + t + "," + p);
            }
        }
        assertEquals(g.get("pixel_accuracy").data()[0], m.pixelAccuracy(), 1e-6);
        float[] perClass = g.get("per_class_iou").data();
        double[] oursPerClass = m.perClassIoU();
        for (int c = 0; c < 5; c++) {
            assertEquals(perClass[c], oursPerClass[c], 1e-6, "IoU of class " + c);
        }
        assertEquals(g.get("mean_iou").data()[0], m.meanIoU(), 1e-6);
        assertEquals(g.get("iou_ignore_0").data()[0], m.iou(), 1e-6);
        assertEquals(g.get("soft_iou").data()[0], m.softIoU(), 1e-6);
    }

    @Test
    void ignoredPixelsChangeNoMetric() throws Exception {
        Map<String, Tensor> g = golden();
        Tensor logits = g.get("logits");
        int[] target = ints(g.get("target"));
        SegmentationMetrics m = metrics(logits, target);
        // Other logits under the ignored pixels: every metric stays exactly the same.
        Tensor changed = logits.copy();
        int plane = logits.h() * logits.w();
        for (int i = 0; i < target.length; i++) {
            if (target[i] == 255) {
                int n = i / plane;
                changed.data()[(n * 5 + (i % 5)) * plane + i % plane] += 40f;
            }
        }
        assertEquals(m.summary(), metrics(changed, target).summary());
    }

    private static int[] ints(Tensor t) {
        int[] out = new int[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.round(t.data()[i]);
        }
        return out;
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(MetricsGoldenTest.class.getClassLoader().getResource(name).toURI());
    }
}
