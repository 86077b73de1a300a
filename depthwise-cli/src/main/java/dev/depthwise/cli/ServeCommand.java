package dev.depthwise.cli;

import dev.depthwise.serve.SegmentServer;
import dev.depthwise.serve.ServeOptions;
import dev.depthwise.train.Classifier;
import dev.depthwise.train.Segmenter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code depthwise serve}: segmentation (and classification) over HTTP, with a web page at {@code /}. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a checkpoint over HTTP: a web page at /, POST /v1/segment, /v1/classify, rembg's "
                + "/api/remove, /health, /metrics; the API is described at /openapi.json.",
                "Prints its URL when ready; on SIGTERM or Ctrl-C it finishes the requests in flight, then exits."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "A .safetensors checkpoint written by train.")
    Path checkpoint;

    @Option(names = "--classifier-weights", paramLabel = "FILE",
            description = "torchvision's MobileNetV2 weights (mobilenet_v2-b0353104.pth) for /v1/classify.")
    Path classifierWeights;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Interface to listen on (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port, 0 for any free one (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--workers", defaultValue = "1",
            description = "Inference workers, each with its own compiled plans (default ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--max-batch", defaultValue = "8",
            description = "Most requests run together in one forward pass (default ${DEFAULT-VALUE}; 1: no batching).")
    int maxBatch;

    @Option(names = "--max-delay-ms", defaultValue = "5",
            description = "Longest a request waits for others to join its batch (default ${DEFAULT-VALUE}).")
    long maxDelayMs;

    @Option(names = "--queue", defaultValue = "64",
            description = "Requests admitted at once; beyond, 429 with Retry-After (default ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--max-upload-mb", defaultValue = "20", description = "Largest upload, 413 above (default ${DEFAULT-VALUE}).")
    long maxUploadMb;

    @Option(names = "--max-pixels", defaultValue = "40000000",
            description = "Largest image, read from its header before decoding; 413 above (default ${DEFAULT-VALUE}).")
    long maxPixels;

    @Option(names = "--timeout-ms", defaultValue = "30000",
            description = "A request unanswered this long after its upload arrived gets 503 (default ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Option(names = "--upload-timeout-ms", defaultValue = "120000",
            description = "An upload still arriving after this gets 408, however fast it comes (default ${DEFAULT-VALUE}).")
    long uploadTimeoutMs;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        ServeOptions options = new ServeOptions(host, port, workers, maxBatch, Duration.ofMillis(maxDelayMs), queue,
                maxUploadMb << 20, maxPixels, Duration.ofMillis(timeoutMs), Duration.ofMillis(uploadTimeoutMs));
        threads.apply();
        Segmenter segmenter = Segmenter.fromCheckpoint(checkpoint);
        Classifier classifier = classifierWeights == null ? null : Classifier.fromWeights(classifierWeights, 1.0);
        SegmentServer server = SegmentServer.start(segmenter, classifier, options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close(); // SIGTERM or Ctrl-C: the requests in flight finish first
            stopped.countDown();
        }, "depthwise-serve-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("depthwise serve: ready at " + server.url() + " (API: " + server.url().resolve("openapi.json") + ")");
        out.flush();
        stopped.await();
        return 0;
    }
}
