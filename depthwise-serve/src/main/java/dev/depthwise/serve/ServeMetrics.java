package dev.depthwise.serve;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/** The server's counters in Prometheus' text format, kept by Prometheus' own Java client. */
final class ServeMetrics {
    static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Histogram latency;
    private final Histogram batchSizes;

    ServeMetrics(IntSupplier queueDepth, int maxBatch) {
        requests = Counter.builder().name("depthwise_requests_total")
                .help("HTTP requests answered, by path and status").labelNames("path", "status").register(registry);
        latency = Histogram.builder().name("depthwise_request_duration_seconds")
                .help("Time from a request's arrival to its answer").labelNames("path").classicOnly()
                .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30).register(registry);
        double[] sizes = new double[maxBatch];
        for (int i = 0; i < maxBatch; i++) {
            sizes[i] = i + 1;
        }
        batchSizes = Histogram.builder().name("depthwise_batch_size").help("Requests run together in one forward pass")
                .classicOnly().classicUpperBounds(sizes).register(registry);
        GaugeWithCallback.builder().name("depthwise_queue_depth").help("Requests waiting for a worker")
                .callback(cb -> cb.call(queueDepth.getAsInt())).register(registry);
    }

    void request(String path, int status, long nanos) {
        requests.labelValues(path, Integer.toString(status)).inc();
        latency.labelValues(path).observe(nanos / 1e9);
    }

    void batch(int size) {
        batchSizes.observe(size);
    }

    String text() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
