package dev.depthwise.models;

import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.DepthwiseSeparableConv2d;
import dev.depthwise.nn.Summary;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SummaryTest {
    @Test
    void articlePrimerRegularConv() {
        Summary s = Summary.of(new Conv2d(16, 32, 3, 1, 1, 1, false), 16, 128, 128);
        assertEquals(4_608, s.totalParams());
        assertEquals(75_497_472, s.totalMacs());
        assertArrayEquals(new int[] {1, 32, 128, 128}, s.outputShape());
    }

    @Test
    void articlePrimerDepthwiseSeparableConv() {
        Summary s = Summary.of(new DepthwiseSeparableConv2d(16, 32, 3, 1, 1), 16, 128, 128);
        assertEquals(656, s.totalParams());
        assertEquals(10_747_904, s.totalMacs());
    }

    @Test
    void mobileNetV2At224() {
        Summary s = Summary.of(Models.create("mobilenet_v2"), 3, 224, 224);
        assertEquals(3_504_872, s.totalParams());
        assertEquals(300_774_272, s.totalMacs()); // conv + linear weights x positions, as torch hooks count
        String text = s.toString();
        assertTrue(text.contains("Total mult-adds: 300,774,272 (300.8M)"), text);
        assertTrue(text.contains("Total params: 3,504,872"), text);
        assertTrue(text.contains("│    └─Conv2dNormActivation: 2-1"), text);
        assertTrue(text.contains("Params size (MB): 14.02"), text);
        assertArrayEquals(new int[] {1, 1000}, s.outputShape());
    }

    @Test
    void summaryLeavesTheModelInItsMode() {
        var m = Models.create("segnet_dsc");
        Summary s = Summary.of(m, 3, 32, 32);
        assertTrue(m.isTraining());
        assertEquals(1_749_671, s.totalParams());
        assertArrayEquals(new int[] {1, 3, 32, 32}, s.outputShape());
    }

    @Test
    void segmentationModelsMultiplyAdds() {
        // SegNet figures checked against forward hooks on the same nets in PyTorch 1.13 (9,116,319,744 and
        // 1,077,657,600 at 128x128); every layer is a conv at a fixed fraction of the input, so 32x32 is 1/16.
        assertEquals(9_116_319_744L / 16, Summary.of(Models.create("segnet"), 3, 32, 32).totalMacs());
        assertEquals(1_077_657_600L / 16, Summary.of(Models.create("segnet_dsc"), 3, 32, 32).totalMacs());
        Summary seg = Summary.of(Models.create("mobilenet_v2_seg"), 3, 128, 128);
        assertEquals(1_865_331, seg.totalParams());
        assertEquals(104_513_536, seg.totalMacs());
    }

    @Test
    void rowsFollowTheModuleTree() {
        Summary s = Summary.of(Models.create("segnet_dsc"), 3, 32, 32);
        Summary.Row pool = s.rows().stream().filter(r -> r.path().equals("dc1.mp")).findFirst().orElseThrow();
        assertArrayEquals(new int[] {1, 64, 16, 16}, pool.outputShape());
        Summary.Row dw = s.rows().stream().filter(r -> r.path().equals("dc1.seq.0.depthwise")).findFirst().orElseThrow();
        assertEquals(27, dw.params());
        assertEquals(27L * 32 * 32, dw.macs());
        assertEquals(4, dw.depth()); // dc1 > seq > 0 > depthwise
    }
}
