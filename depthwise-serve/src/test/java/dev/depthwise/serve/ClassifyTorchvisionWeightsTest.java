package dev.depthwise.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depthwise.io.SafeTensors;
import dev.depthwise.train.Classifier;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static dev.depthwise.serve.TestServers.postFile;
import static dev.depthwise.serve.TestServers.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * {@code /v1/classify} with weights torchvision wrote: the seeded width-0.35, 10-class MobileNetV2 of the golden
 * tests (make_golden.py), and the photo and torchvision's softmax for it (Resize(256)-CenterCrop(224)-Normalize) that
 * the classify command's test uses. The endpoint's top 5 are torchvision's top 5, in order, with its probabilities.
 * Both resources are read where those modules keep them, so no megabyte is copied.
 */
class ClassifyTorchvisionWeightsTest {
    @Test
    void topFiveAreTorchvisionsTopFive() throws Exception {
        Path root = repositoryRoot();
        Path weights = root.resolve("depthwise-nn/src/test/resources/golden/mobilenet_v2_w035.pth");
        Path resources = root.resolve("depthwise-cli/src/test/resources/classify");
        float[] expected = SafeTensors.read(resources.resolve("expected.safetensors")).tensors().get("probs").data();
        List<Integer> order = IntStream.range(0, expected.length).boxed()
                .sorted(Comparator.comparingDouble(i -> -expected[i])).toList();

        Classifier classifier = Classifier.fromWeights(weights, 0.35);
        try (SegmentServer server = SegmentServer.start(TestServers.segmenter(), classifier, TestServers.options())) {
            byte[] photo = Files.readAllBytes(resources.resolve("photo.png"));
            HttpResponse<byte[]> r = postFile(server.url(), "/v1/classify?top=5", "file", photo, Map.of());
            assertEquals(200, r.statusCode(), text(r));
            JsonNode top = new ObjectMapper().readTree(r.body()).get("top");
            assertEquals(5, top.size(), text(r));
            for (int rank = 0; rank < 5; rank++) {
                JsonNode entry = top.get(rank);
                int index = order.get(rank);
                assertEquals(index, entry.get("index").asInt(), "rank " + rank + ": " + top);
                assertEquals(expected[index], entry.get("probability").asDouble(), 1e-5, "rank " + rank + ": " + top);
            }
        }
    }

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve(".ci"))) {
            dir = dir.getParent();
        }
        assertNotNull(dir, "repository root (the directory with .ci) not found above the working directory");
        return dir;
    }
}
