package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;
import dev.depthwise.io.onnx.OnnxGraph;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The graph builder's pooling wiring, checked in ONNX Runtime against a hand-written reference. */
class OnnxGraphOrtTest {

    @Test
    void maxPoolIndicesFeedMaxUnpoolAtBatchTwoWithOddSizes() throws Exception {
        int n = 2, c = 3, h = 5, w = 7;
        OnnxGraph g = new OnnxGraph("pool-unpool");
        String x = g.input("input", -1, c, h, w);
        List<String> pooled = g.maxPoolWithIndices("pool", x, 2, 2);
        String y = g.maxUnpool("unpool", pooled.get(0), pooled.get(1), x, 2, 2);
        g.output(y, -1, c, h, w);

        Random rnd = new Random(7);
        float[] data = new float[n * c * h * w];
        for (int i = 0; i < data.length; i++) {
            data[i] = rnd.nextFloat() * 2 - 1;
        }
        Tensor input = new Tensor(data, n, c, h, w);
        try (OrtRunner ort = new OrtRunner(g.model("test").toByteArray(), 1)) {
            Tensor out = ort.run(input);
            assertArrayEquals(input.shape(), out.shape());
            assertArrayEquals(poolUnpoolReference(input), out.data(), 0f);
        }
    }

    /** Each 2x2 window's maximum stays where it was; everything else (and the odd last row/column) is zero. */
    private static float[] poolUnpoolReference(Tensor x) {
        int n = x.n(), c = x.c(), h = x.h(), w = x.w();
        float[] in = x.data();
        float[] out = new float[in.length];
        for (int plane = 0; plane < n * c; plane++) {
            int base = plane * h * w;
            for (int oy = 0; oy < h / 2; oy++) {
                for (int ox = 0; ox < w / 2; ox++) {
                    int best = base + 2 * oy * w + 2 * ox;
                    for (int dy = 0; dy < 2; dy++) {
                        for (int dx = 0; dx < 2; dx++) {
                            int i = base + (2 * oy + dy) * w + 2 * ox + dx;
                            if (in[i] > in[best]) {
                                best = i;
                            }
                        }
                    }
                    out[best] = in[best];
                }
            }
        }
        return out;
    }
}
