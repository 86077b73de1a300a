package dev.depthwise.golden;

import dev.depthwise.engine.Tensor;
import dev.depthwise.io.PyTorchWeights;
import dev.depthwise.models.MobileNetV2;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Our MobileNetV2 with the state dict torchvision saved ({@code mobilenet_v2(width_mult=0.35,
 * num_classes=10)}, BatchNorm statistics randomised by make_golden.py) gives torchvision's eval-mode logits.
 */
class MobileNetV2GoldenTest {

    @Test
    void logitsMatchTorchvision() throws IOException, URISyntaxException {
        Path pth = Path.of(Objects.requireNonNull(getClass().getResource("/golden/mobilenet_v2_w035.pth")).toURI());
        MobileNetV2 model = new MobileNetV2(10, 0.35, 0.2f, 0);
        model.loadStateDict(PyTorchWeights.read(pth), true);
        model.eval();

        Golden g = Golden.load("mobilenet_v2_w035_logits");
        Tensor logits = model.forward(g.tensor("input"));
        g.assertClose("logits", logits);
    }
}
