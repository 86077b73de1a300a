package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;
import dev.depthwise.io.onnx.OnnxExporter;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every model exported to ONNX runs in ONNX Runtime and gives our eval-mode outputs within 1e-4 (relative to
 * the largest output). BatchNorm statistics are calibrated first so outputs are of order one; measured
 * differences are 1e-5 to 2e-4 on outputs up to 3 to 6.
 */
class OnnxExportTest {
    private static final double TOLERANCE = 1e-4;

    @Test
    void segnetDscAtBatchTwoWithOddSizes() throws Exception {
        // Odd sizes make every pool drop a row or column, which the unpool must restore.
        assertExportMatches(Models.create("segnet_dsc"), "segnet_dsc", 2, 37, 45);
    }

    @Test
    void segnetAtBatchTwo() throws Exception {
        assertExportMatches(Models.create("segnet"), "segnet", 2, 32, 32);
    }

    @Test
    void mobilenetV2() throws Exception {
        // A reduced width keeps the test fast; every block type is still there.
        Module model = Models.create(ModelSpec.of(Models.MOBILENET_V2).withWidth(0.35).withClasses(10));
        assertExportMatches(model, "mobilenet_v2", 2, 64, 64);
    }

    @Test
    void mobilenetV2Segmenter() throws Exception {
        Module model = Models.create(ModelSpec.of(Models.MOBILENET_V2_SEG).withWidth(0.35));
        assertExportMatches(model, "mobilenet_v2_seg", 2, 64, 96);
    }

    private static void assertExportMatches(Module model, String name, int batch, int h, int w) throws Exception {
        Calibration.batchNormStatistics(model, BenchTensors.randomInput(4, 3, h, w, 11));
        Tensor input = BenchTensors.randomInput(batch, 3, h, w, 5);
        Tensor ours = model.forward(input).copy();
        try (OrtRunner ort = new OrtRunner(OnnxExporter.toBytes(model, name, 3, h, w), 1)) {
            Tensor theirs = ort.run(input);
            assertArrayEquals(ours.shape(), theirs.shape(), name + ": output shape");
            double diff = BenchTensors.maxAbsDiff(ours.data(), theirs.data());
            double scale = maxAbs(ours.data());
            assertTrue(scale > 0, name + ": all-zero output proves nothing");
            // Relative to the output's scale (a classifier's logits are small at initialisation).
            assertTrue(diff <= TOLERANCE * scale,
                    name + ": largest difference " + diff + " from ONNX Runtime, outputs up to " + scale);
        }
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float f : v) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }
}
