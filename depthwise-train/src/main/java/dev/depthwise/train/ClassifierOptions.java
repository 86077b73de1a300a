package dev.depthwise.train;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The options of the commands that classify with MobileNetV2 and torchvision's weights, the CLI's {@code classify}
 * and Spark's (a picocli mixin), checked the same way in both.
 */
public final class ClassifierOptions {
    @Option(names = "--weights", required = true, paramLabel = "FILE",
            description = "MobileNetV2 state dict: a torch.save .pth/.pt or a .safetensors file.")
    Path weights;

    @Option(names = "--width", defaultValue = "1.0",
            description = "Width multiplier the weights were trained with (default ${DEFAULT-VALUE}).")
    double width;

    @Option(names = "--top", defaultValue = "5", description = "How many classes to give per image (default ${DEFAULT-VALUE}).")
    int top;

    /** Fails, naming the option, on a {@code --top} below 1 or a {@code --width} that is not a finite number above 0. */
    public ClassifierOptions check() {
        if (top < 1) {
            throw new IllegalArgumentException("--top must be >= 1, got " + top);
        }
        if (!(width > 0) || !Double.isFinite(width)) {
            throw new IllegalArgumentException("--width must be a finite number > 0, got " + width);
        }
        return this;
    }

    public Path weights() {
        return weights;
    }

    public double width() {
        return width;
    }

    public int top() {
        return top;
    }
}
