package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.LayerInputException;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.StateDictException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelsTest {
    @Test
    void parameterCountsMatchTorchvisionAndTheArticle() {
        assertEquals(3_504_872, Models.create("mobilenet_v2").parameterCount());
        assertEquals(15_274_892, Models.create("segnet").parameterCount());
        assertEquals(1_749_671, Models.create("segnet_dsc").parameterCount());
    }

    @Test
    void makeDivisibleFollowsTorchvision() {
        assertEquals(32, MobileNetV2.makeDivisible(32 * 1.0, 8));
        assertEquals(16, MobileNetV2.makeDivisible(32 * 0.5, 8));
        assertEquals(8, MobileNetV2.makeDivisible(16 * 0.35, 8));
        assertEquals(16, MobileNetV2.makeDivisible(32 * 0.35, 8)); // 11.2 -> 8 would lose > 10%: +8
        assertEquals(1280, MobileNetV2.lastChannels(0.35));
        assertEquals(1600, MobileNetV2.lastChannels(1.25));
    }

    @Test
    void reducedWidthMobileNetMatchesTorchvisionCount() {
        // torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10): 408,938 parameters.
        assertEquals(408_938, Models.create(ModelSpec.of("mobilenet_v2").withWidth(0.35).withClasses(10)).parameterCount());
    }

    @Test
    void mobileNetKeysAreTorchvisions() {
        List<String> keys = List.copyOf(Models.create("mobilenet_v2").stateDict().keySet());
        assertEquals(314, keys.size()); // len(torchvision.models.mobilenet_v2().state_dict())
        assertEquals(List.of("features.0.0.weight", "features.0.1.weight", "features.0.1.bias",
                "features.0.1.running_mean", "features.0.1.running_var", "features.0.1.num_batches_tracked",
                "features.1.conv.0.0.weight"), keys.subList(0, 7));
        assertTrue(keys.contains("features.3.conv.1.0.weight"));
        assertTrue(keys.contains("features.18.1.running_var"));
        assertEquals(List.of("classifier.1.weight", "classifier.1.bias"), keys.subList(keys.size() - 2, keys.size()));
    }

    @Test
    void mobileNetPrintsAsTorchvision() {
        String s = Models.create("mobilenet_v2").toString();
        assertTrue(s.startsWith(String.join("\n",
                "MobileNetV2(",
                "  (features): Sequential(",
                "    (0): Conv2dNormActivation(",
                "      (0): Conv2d(3, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)",
                "      (1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
                "      (2): ReLU6(inplace=True)",
                "    )",
                "    (1): InvertedResidual(",
                "      (conv): Sequential(",
                "        (0): Conv2dNormActivation(",
                "          (0): Conv2d(32, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=32, bias=False)",
                "          (1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
                "          (2): ReLU6(inplace=True)",
                "        )",
                "        (1): Conv2d(32, 16, kernel_size=(1, 1), stride=(1, 1), bias=False)",
                "        (2): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
                "      )",
                "    )")), s);
        assertTrue(s.endsWith(String.join("\n",
                "  (classifier): Sequential(",
                "    (0): Dropout(p=0.2, inplace=False)",
                "    (1): Linear(in_features=1280, out_features=1000, bias=True)",
                "  )",
                ")")), s);
    }

    @Test
    void segNetKeysFollowTheArticle() {
        Map<String, Tensor> sd = Models.create("segnet").stateDict();
        assertTrue(sd.containsKey("bn_input.weight"));
        assertTrue(sd.containsKey("dc1.seq.0.weight"));
        assertTrue(sd.containsKey("dc4.seq.7.running_mean"));
        assertTrue(sd.containsKey("uc1.seq.4.num_batches_tracked"));
        assertArrayEquals(new int[] {3, 64, 3, 3}, sd.get("uc1.seq.3.weight").shape());
        Map<String, Tensor> dsc = Models.create("segnet_dsc").stateDict();
        assertArrayEquals(new int[] {64, 1, 3, 3}, dsc.get("uc1.seq.3.depthwise.weight").shape());
        assertArrayEquals(new int[] {3, 64, 1, 1}, dsc.get("uc1.seq.3.pointwise.weight").shape());
    }

    @Test
    void segNetPlainHeadEndsInAConvWithBias() {
        Module m = Models.create(ModelSpec.of("segnet").withPlainHead(true));
        Map<String, Tensor> sd = m.stateDict();
        assertTrue(sd.containsKey("uc1.seq.3.bias"));
        assertFalse(sd.containsKey("uc1.seq.4.weight"));
        assertEquals(15_274_892 - 6 + 3, m.parameterCount()); // no final BN (2 x 3), a bias of 3
    }

    @Test
    void forwardShapesAndBackwardRun() {
        for (String name : List.of("segnet_dsc", "mobilenet_v2_seg")) {
            Module m = Models.create(name);
            Tensor x = input(2, 32, 32);
            Tensor y = m.forward(x);
            assertArrayEquals(new int[] {2, 3, 32, 32}, y.shape(), name);
            Tensor gx = m.backward(Tensor.full(1e-3f, y.shape()));
            assertArrayEquals(x.shape(), gx.shape(), name);
            assertFinite(gx, name);
            m.parameters().forEach(p -> assertFinite(p.grad(), name));
        }
        Module mb = Models.create(ModelSpec.of("mobilenet_v2").withWidth(0.35).withClasses(10));
        Tensor y = mb.forward(input(2, 32, 32));
        assertArrayEquals(new int[] {2, 10}, y.shape());
        assertArrayEquals(new int[] {2, 3, 32, 32}, mb.backward(Tensor.full(1f, 2, 10)).shape());
        mb.eval();
        assertArrayEquals(new int[] {1, 10}, mb.forward(input(1, 64, 48)).shape());
    }

    @Test
    void segNetHandlesOddSizesThroughUnpooling() {
        Module m = Models.create("segnet_dsc");
        m.eval();
        assertArrayEquals(new int[] {1, 3, 20, 27}, m.forward(input(1, 20, 27)).shape());
    }

    @Test
    void anInputALayerCannotTakeNamesThatLayersPath() {
        Module segnet = Models.create("segnet_dsc");
        segnet.eval();
        LayerInputException tooSmall = assertThrows(LayerInputException.class, () -> segnet.forward(input(1, 7, 7)));
        assertEquals("dc3.mp", tooSmall.layerPath());
        assertTrue(tooSmall.getMessage().startsWith("layer dc3.mp (MaxPool2d): PoolOp.maxPool: kernel 2x2 is larger"),
                tooSmall.getMessage());

        Module mobilenet = Models.create("mobilenet_v2");
        mobilenet.eval();
        LayerInputException channels = assertThrows(LayerInputException.class,
                () -> mobilenet.forward(Tensor.zeros(1, 4, 32, 32)));
        assertTrue(channels.getMessage().startsWith("layer features.0.0 (Conv2d): conv: input [1, 4, 32, 32] has 4 "
                + "channels"), channels.getMessage());
    }

    @Test
    void segmenterLoadsImageNetEncoderWeights() {
        Module mobilenet = Models.create(ModelSpec.of("mobilenet_v2").withSeed(5));
        MobileNetV2Segmenter seg = (MobileNetV2Segmenter) Models.create("mobilenet_v2_seg");
        seg.loadEncoderWeights(mobilenet.stateDict());
        assertArrayEquals(mobilenet.stateDict().get("features.17.conv.2.weight").data(),
                seg.stateDict().get("features.17.conv.2.weight").data());
        StateDictException e = assertThrows(StateDictException.class,
                () -> seg.loadEncoderWeights(Models.create("segnet").stateDict()));
        assertTrue(e.getMessage().contains("0.0.weight"), e.getMessage());
    }

    @Test
    void registryRejectsUnknownNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Models.create("resnet"));
        assertTrue(e.getMessage().contains("mobilenet_v2, segnet, segnet_dsc, mobilenet_v2_seg"), e.getMessage());
        ModelSpec spec = ModelSpec.of("segnet_dsc").withClasses(2).withSeed(9);
        assertEquals(spec, ModelSpec.fromMap(spec.toMap()));
    }

    static Tensor input(int n, int h, int w) {
        Tensor x = Tensor.zeros(n, 3, h, w);
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static void assertFinite(Tensor t, String what) {
        for (float v : t.data()) {
            assertTrue(Float.isFinite(v), what + ": non-finite value");
        }
    }
}
