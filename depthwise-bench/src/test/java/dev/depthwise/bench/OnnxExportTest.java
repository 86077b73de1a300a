package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;
import dev.depthwise.io.onnx.OnnxExporter;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every model exported to ONNX runs in ONNX Runtime and gives our eval-mode outputs within 1e-4 (relative to
 * the largest output; measured differences are around 1e-8).
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
        randomizeStatistics(model, 11);
        model.eval();
        Tensor input = randomInput(batch, 3, h, w, 5);
        Tensor ours = model.forward(input).copy();
        try (OrtRunner ort = new OrtRunner(OnnxExporter.toBytes(model, name, 3, h, w), 1)) {
            Tensor theirs = ort.run(input);
            assertArrayEquals(ours.shape(), theirs.shape(), name + ": output shape");
            double diff = BenchTensors.maxAbsDiff(ours.data(), theirs.data());
            double scale = maxAbs(ours.data());
            assertTrue(scale > 0, name + ": all-zero output proves nothing");
            // Relative to the output's scale: freshly initialised models give small outputs.
            assertTrue(diff <= TOLERANCE * scale,
                    name + ": largest difference " + diff + " from ONNX Runtime, outputs up to " + scale);
        }
    }

    /** Non-trivial BatchNorm running statistics, so eval-mode BatchNorm is really tested. */
    private static void randomizeStatistics(Module model, long seed) {
        Random rnd = new Random(seed);
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            float[] v = e.getValue().data();
            if (e.getKey().endsWith("running_mean")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.1 * rnd.nextGaussian());
                }
            } else if (e.getKey().endsWith("running_var")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = 0.5f + rnd.nextFloat();
                }
            }
        }
    }

    private static Tensor randomInput(int n, int c, int h, int w, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n * c * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return new Tensor(x, n, c, h, w);
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float f : v) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }
}
