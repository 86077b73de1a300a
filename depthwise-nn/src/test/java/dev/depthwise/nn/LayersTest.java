package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayersTest {
    @Test
    void layersPrintExactlyAsPyTorch() {
        // Strings from torch 1.13's print() of the same layers.
        assertEquals("BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
                new BatchNorm2d(32).toString());
        assertEquals("ReLU6(inplace=True)", new ReLU6(true).toString());
        assertEquals("ReLU()", new ReLU().toString());
        assertEquals("ReLU(inplace=True)", new ReLU(true).toString());
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
                new MaxPool2d(2).toString());
        assertEquals("MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))",
                new MaxUnpool2d(new MaxPool2d(2)).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=1)", new AdaptiveAvgPool2d(1).toString());
        assertEquals("Linear(in_features=1280, out_features=1000, bias=True)", new Linear(1280, 1000).toString());
        assertEquals("Dropout(p=0.2, inplace=False)", new Dropout(0.2f, 0).toString());
        assertEquals("Upsample(scale_factor=2.0, mode=bilinear)", new Upsample(2, Upsample.Mode.BILINEAR).toString());
        assertEquals("Upsample(scale_factor=2.0, mode=nearest)", new Upsample(2, Upsample.Mode.NEAREST).toString());
        assertEquals(String.join("\n",
                "Conv2dNormActivation(",
                "  (0): Conv2d(3, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)",
                "  (1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
                "  (2): ReLU6(inplace=True)",
                ")"), new Conv2dNormActivation(3, 32, 3, 2, 1, new ReLU6(true)).toString());
    }

    @Test
    void pythonFloatFormatting() {
        assertEquals("1e-05", BatchNorm2d.pythonFloat(1e-5f));
        assertEquals("0.1", BatchNorm2d.pythonFloat(0.1f));
        assertEquals("0.001", BatchNorm2d.pythonFloat(0.001f));
        assertEquals("0.0001", BatchNorm2d.pythonFloat(1e-4f));
        assertEquals("0.5", BatchNorm2d.pythonFloat(0.5f));
    }

    @Test
    void batchNormStateDictHasPyTorchBuffers() {
        BatchNorm2d bn = new BatchNorm2d(4);
        assertEquals(List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"),
                List.copyOf(bn.stateDict().keySet()));
        assertEquals(8, bn.parameterCount());
        bn.forward(Tensor.full(1f, 2, 4, 3, 3));
        bn.forward(Tensor.full(1f, 2, 4, 3, 3));
        assertEquals(2f, bn.stateDict().get("num_batches_tracked").data()[0]);
        // Running mean moves towards the batch mean (1) with momentum 0.1, twice.
        assertEquals(0.19f, bn.runningMean().data()[0], 1e-6f);
    }

    @Test
    void poolAndUnpoolRoundTripOddSizes() {
        MaxPool2d pool = new MaxPool2d(2);
        MaxUnpool2d unpool = new MaxUnpool2d(pool);
        Tensor x = Tensor.zeros(1, 1, 5, 5);
        for (int i = 0; i < 25; i++) {
            x.data()[i] = i;
        }
        Tensor p = pool.forward(x);
        assertArrayEquals(new int[] {1, 1, 2, 2}, p.shape());
        Tensor u = unpool.forward(p);
        assertArrayEquals(new int[] {1, 1, 5, 5}, u.shape());
        assertEquals(6f, u.get(0, 0, 1, 1));
        assertEquals(0f, u.get(0, 0, 0, 0));
        assertEquals(18f, u.get(0, 0, 3, 3));
        Tensor g = unpool.backward(Tensor.full(1f, 1, 1, 5, 5));
        assertArrayEquals(new int[] {1, 1, 2, 2}, g.shape());
    }

    @Test
    void outputsAreReusedAcrossCallsWithTheSameShape() {
        ReLU relu = new ReLU();
        Tensor a = relu.forward(Tensor.zeros(1, 2, 3, 3));
        Tensor b = relu.forward(Tensor.zeros(1, 2, 3, 3));
        assertSame(a, b);
    }

    @Test
    void dropoutIsSeededAndIdentityInEval() {
        Tensor x = Tensor.full(1f, 1, 1000);
        float[] first = new Dropout(0.5f, 7).forward(x).data().clone();
        float[] again = new Dropout(0.5f, 7).forward(x).data().clone();
        assertArrayEquals(first, again);
        Dropout d = new Dropout(0.5f, 7);
        d.eval();
        assertSame(x, d.forward(x));
    }

    @Test
    void badInputsNameTheLayer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BatchNorm2d(4).forward(Tensor.zeros(1, 3, 2, 2)));
        assertTrue(e.getMessage().contains("BatchNorm2d(4)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Linear(8, 2).forward(Tensor.zeros(1, 7)));
        assertTrue(e.getMessage().contains("Linear(8 -> 2)"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> new MaxUnpool2d(new MaxPool2d(2)).forward(Tensor.zeros(1, 1, 2, 2)));
    }
}
