package dev.depthwise.models;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Our printouts against PyTorch's print(model), written by scripts/golden/model_printouts.py. */
class PrintoutTest {
    private static String resource(String name) throws IOException {
        try (InputStream in = PrintoutTest.class.getResourceAsStream("/print/" + name)) {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    @Test
    void mobileNetV2PrintsExactlyAsTorchvision() throws IOException {
        assertEquals(resource("mobilenet_v2.txt"), Models.create("mobilenet_v2").toString());
    }

    @Test
    void segNetPrintsExactlyAsTheArticlesModules() throws IOException {
        assertEquals(resource("segnet.txt"), Models.create("segnet").toString());
    }
}
