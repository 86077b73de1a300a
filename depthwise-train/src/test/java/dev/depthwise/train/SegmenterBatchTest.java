package dev.depthwise.train;

import dev.depthwise.data.RgbImage;
import dev.depthwise.models.SegNet;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmenterBatchTest {
    @Test
    void aBatchSegmentsAsImagesOneByOne() {
        Segmenter segmenter = new Segmenter(new SegNet(SegNet.ConvKind.DEPTHWISE_SEPARABLE, 3, true, 5), 32);
        Random random = new Random(9);
        List<RgbImage> images = List.of(noise(random, 40, 30), noise(random, 17, 23), noise(random, 64, 64),
                noise(random, 33, 31), noise(random, 8, 50), noise(random, 21, 21));
        List<Segmenter.Segmentation> batch = segmenter.segmentAll(images); // a pass of 4, then two of 1
        for (int i = 0; i < images.size(); i++) {
            Segmenter.Segmentation one = segmenter.segment(images.get(i));
            assertEquals(one.width(), batch.get(i).width());
            assertEquals(one.height(), batch.get(i).height());
            int differ = 0;
            for (int p = 0; p < one.classes().length; p++) {
                differ += one.classes()[p] != batch.get(i).classes()[p] ? 1 : 0;
            }
            // Plans for different batch sizes may sum in another order: a rare near-tie may flip.
            assertTrue(differ <= one.classes().length / 1000, "image " + i + ": " + differ + " pixels differ");
        }
        assertEquals(6, batch.size());
        assertEquals(List.of(1, 1, 1, 4, 4, 4, 4, 8, 8, 16), java.util.stream.IntStream.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 17)
                .map(Segmenter::passSize).boxed().toList());
    }

    private static RgbImage noise(Random random, int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        random.nextBytes(rgb);
        return new RgbImage(w, h, rgb);
    }
}
