package dev.depthwise.bench;

/** Entry point of {@code bin/depthwise bench}: the benchmarks, ours side by side with ONNX Runtime and PyTorch. */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) {
        System.err.println("depthwise bench: no benchmarks yet");
        System.exit(2);
    }
}
