package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;
import dev.depthwise.io.onnx.OnnxExporter;
import dev.depthwise.nn.AdaptiveAvgPool2d;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.DepthwiseSeparableConv2d;
import dev.depthwise.nn.Dropout;
import dev.depthwise.nn.Linear;
import dev.depthwise.nn.MaxPool2d;
import dev.depthwise.nn.MaxUnpool2d;
import dev.depthwise.nn.ReLU;
import dev.depthwise.nn.ReLU6;
import dev.depthwise.nn.Upsample;
import dev.depthwise.nn.Flatten;
import dev.depthwise.nn.Identity;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.Sequential;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layer by layer: each exported layer runs in ONNX Runtime and gives our eval-mode output within 1e-4. */
class OnnxLayerExportTest {

    @Test
    void convolutionsDenseDepthwisePointwiseAndFlatten() throws Exception {
        Module net = new Sequential(
                new Conv2d(3, 8, 3, 2, 1, 1, true),   // dense, strided, with bias
                new Conv2d(8, 8, 3, 1, 1, 8, false),  // depthwise: group = channels
                new Identity(),
                new Conv2d(8, 4, 1, 1, 0, 1, false),  // pointwise
                new Flatten());
        assertMatchesOrt(net, 2, 3, 9, 11);
    }

    @Test
    void segnetStagePoolIndicesIntoUnpoolAtBatchTwoAndUpsampling() throws Exception {
        MaxPool2d pool = new MaxPool2d(2);
        Module net = new Sequential(
                new BatchNorm2d(3),
                new DepthwiseSeparableConv2d(3, 8, 3, 1, 1),
                new BatchNorm2d(8),
                new ReLU(),
                pool,
                new Conv2d(8, 8, 3, 1, 1, 1, false),
                new ReLU6(),
                new MaxUnpool2d(pool),               // back to the odd pre-pool size
                new Upsample(2, Upsample.Mode.NEAREST),
                new Upsample(2, Upsample.Mode.BILINEAR));
        assertMatchesOrt(net, 2, 3, 7, 9);
    }

    @Test
    void classifierHead() throws Exception {
        Module net = new Sequential(
                new Conv2d(3, 8, 3, 2, 1, 1, false),
                new BatchNorm2d(8),
                new ReLU6(),
                new AdaptiveAvgPool2d(1),
                new Flatten(),
                new Dropout(0.2f, 1),
                new Linear(8, 5));
        assertMatchesOrt(net, 3, 3, 10, 10);
    }

    @Test
    void aLayerWithoutExporterIsNamedWithItsPath() {
        Module net = new Sequential(new Conv2d(3, 4, 1, 1, 0, 1, false), new Sequential(new Mystery()));
        var e = assertThrows(UnsupportedOperationException.class, () -> OnnxExporter.toBytes(net, "net", 3, 4, 4));
        assertTrue(e.getMessage().contains("Mystery") && e.getMessage().contains("'1.0'"), e.getMessage());
    }

    /** Fills every parameter and buffer with seeded values, runs both, compares within 1e-4. */
    static void assertMatchesOrt(Module net, int n, int c, int h, int w) throws Exception {
        Random rnd = new Random(3);
        net.stateDict().forEach((key, t) -> {
            float[] v = t.data();
            for (int i = 0; i < v.length; i++) {
                // Variances must be positive; everything else any value.
                v[i] = key.endsWith("running_var") ? 0.5f + rnd.nextFloat() : (float) (0.5 * rnd.nextGaussian());
            }
        });
        net.eval();
        Tensor input = BenchTensors.randomInput(n, c, h, w);
        Tensor ours = net.forward(input).copy();
        try (OrtRunner ort = new OrtRunner(OnnxExporter.toBytes(net, "net", c, h, w), 1)) {
            Tensor theirs = ort.run(input);
            assertArrayEquals(ours.shape(), theirs.shape());
            double diff = BenchTensors.maxAbsDiff(ours.data(), theirs.data());
            assertTrue(diff <= 1e-4, "largest difference from ONNX Runtime: " + diff);
        }
    }

    private static final class Mystery extends Module {
        @Override
        protected Tensor computeForward(Tensor x) {
            return x;
        }

        @Override
        protected Tensor computeBackward(Tensor gradOut) {
            return gradOut;
        }
    }
}
