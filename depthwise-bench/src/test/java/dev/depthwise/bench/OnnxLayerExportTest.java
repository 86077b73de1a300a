package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;
import dev.depthwise.io.onnx.OnnxExporter;
import dev.depthwise.nn.Conv2d;
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
    void aLayerWithoutExporterIsNamedWithItsPath() {
        Module net = new Sequential(new Conv2d(3, 4, 1, 1, 0, 1, false), new Sequential(new Mystery()));
        var e = assertThrows(UnsupportedOperationException.class, () -> OnnxExporter.toBytes(net, "net", 3, 4, 4));
        assertTrue(e.getMessage().contains("Mystery") && e.getMessage().contains("'1.0'"), e.getMessage());
    }

    /** Fills every parameter and buffer with seeded values, runs both, compares within 1e-4. */
    static void assertMatchesOrt(Module net, int n, int c, int h, int w) throws Exception {
        Random rnd = new Random(3);
        net.stateDict().values().forEach(t -> {
            float[] v = t.data();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (0.5 * rnd.nextGaussian());
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
