package dev.depthwise.serve;

import java.time.Duration;

/**
 * How the server runs.
 *
 * @param host          interface to bind (127.0.0.1 keeps it on this machine)
 * @param port          port, 0 for any free one
 * @param workers       inference threads, each with its own compiled plans
 * @param maxBatch      most requests run in one forward pass
 * @param maxDelay      longest a request waits for others to join its batch
 * @param queueCapacity requests admitted at once (decoding, queued or running) beyond which the answer is 429
 * @param maxUploadBytes largest upload accepted (413 above)
 * @param maxPixels     largest image accepted, from its header, before any pixel is decoded
 * @param timeout       a request still unanswered this long after its upload was received gets 503
 * @param uploadTimeout an upload still arriving after this gets 408, however fast it comes
 */
public record ServeOptions(String host, int port, int workers, int maxBatch, Duration maxDelay, int queueCapacity,
                           long maxUploadBytes, long maxPixels, Duration timeout, Duration uploadTimeout) {
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;
    /**
     * Workers beyond the cores only queue for them, each holding its own compiled plans and their buffers per input
     * shape: a few per core, as {@code --threads} allows, still lets a test oversubscribe.
     */
    public static final int MAX_WORKERS_PER_CORE = 4;

    public ServeOptions {
        require(host != null && !host.isBlank(), "--host must not be empty");
        require(port >= 0 && port <= 65535, "--port must be 0-65535, got " + port);
        int cores = Runtime.getRuntime().availableProcessors();
        require(workers >= 1 && workers <= MAX_WORKERS_PER_CORE * cores, workers < 1
                ? "--workers must be at least 1, got " + workers
                : "--workers must be 1 to " + MAX_WORKERS_PER_CORE * cores + " (" + MAX_WORKERS_PER_CORE + " per core, "
                        + cores + " here), got " + workers);
        require(maxBatch >= 1, "--max-batch must be at least 1, got " + maxBatch);
        require(!maxDelay.isNegative(), "--max-delay-ms must not be negative");
        require(queueCapacity >= 1, "--queue must be at least 1, got " + queueCapacity);
        require(maxUploadBytes >= 1, "--max-upload-mb must be positive");
        require(maxPixels >= 1, "--max-pixels must be positive");
        require(timeout.toMillis() >= 1, "--timeout-ms must be at least 1");
        require(uploadTimeout.toMillis() >= 1, "--upload-timeout-ms must be at least 1");
    }

    /**
     * The default of {@code --upload-timeout-ms}: a 5 MB photo from a phone on a link of 50 KB a second arrives
     * in 100 s.
     */
    public static final Duration DEFAULT_UPLOAD_TIMEOUT = Duration.ofSeconds(120);

    /** The defaults of {@code serve}: 127.0.0.1:8080, one worker, batches of up to 8 within 5 ms. */
    public static ServeOptions defaults() {
        return new ServeOptions("127.0.0.1", 8080, 1, 8, Duration.ofMillis(5), 64, 20L << 20, DEFAULT_MAX_PIXELS,
                Duration.ofSeconds(30), DEFAULT_UPLOAD_TIMEOUT);
    }

    public ServeOptions withPort(int newPort) {
        return new ServeOptions(host, newPort, workers, maxBatch, maxDelay, queueCapacity, maxUploadBytes, maxPixels,
                timeout, uploadTimeout);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
