package dev.depthwise.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.depthwise.data.PngEncoder;
import dev.depthwise.data.RgbImage;
import dev.depthwise.models.Classification;
import dev.depthwise.train.AlphaMatte;
import dev.depthwise.train.Classifier;
import dev.depthwise.train.Segmenter;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;
import io.javalin.http.staticfiles.Location;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.handler.MinimumDataRateHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Segmentation and classification over HTTP, with a web page: what {@code depthwise serve} runs.
 *
 * <p>Built on Javalin (Jetty 12 underneath): a maintained, small server whose routes are plain Java lambdas, with
 * multipart uploads and static files built in, that starts in well under a second; Helidon SE would do as well but
 * brings its own configuration system, and bare Jetty leaves the routing to us. JSON goes through Jackson, metrics
 * through Prometheus' client. The model work is the command line's: {@link Segmenter} (compiled plans, the soft
 * {@link AlphaMatte}) and {@link Classifier}, each worker with its own plans over the shared weights.
 *
 * <p>Under load: at most {@link ServeOptions#queueCapacity()} requests are admitted at once (decoding, queued or
 * running), the rest get 429 with {@code Retry-After}; queued segmentations are batched by {@link Batcher}; a request
 * unanswered after {@link ServeOptions#timeout()} gets 503. {@link #close()} lets admitted requests finish.
 */
public final class SegmentServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Each endpoint and the methods it answers (any other method gets 405 naming them). */
    private static final Map<String, String> ALLOWED = Map.of("/", "GET", "/v1/segment", "POST", "/v1/classify", "POST",
            "/api/remove", "GET, POST", "/health", "GET", "/ping", "GET", "/metrics", "GET", "/openapi.json", "GET");
    private static final String START = "depthwise.start";
    /**
     * An upload arriving slower than this is cut off (408): each admitted request holds one of the {@code --queue}
     * places while its body arrives, so a few clients sending a byte a second (a slowloris) would otherwise keep
     * every place taken for as long as they like. A phone on a poor link still sends tens of KB a second.
     */
    static final long MIN_UPLOAD_BYTES_PER_SECOND = 1024;

    private final ServeOptions options;
    private final Segmenter segmenter;
    private final Batcher<RgbImage, Segmented> segmentation;
    private final Batcher<RgbImage, List<Classification.Score>> classification;
    private final ServeMetrics metrics;
    private final Semaphore admission;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Javalin app;
    private volatile boolean draining;

    /** A segmentation and how it was run. */
    private record Segmented(Segmenter.Segmentation segmentation, long startNanos, long modelNanos, int batch) {
    }

    private SegmentServer(Segmenter segmenter, Classifier classifier, ServeOptions options) {
        this.options = options;
        this.segmenter = segmenter;
        this.admission = new Semaphore(options.queueCapacity());
        this.metrics = new ServeMetrics(this::queueDepth, options.maxBatch());
        long delay = options.maxDelay().toNanos();
        // The first worker uses the objects given (their plans may be warm); the others get copies with plans of their own.
        AtomicInteger made = new AtomicInteger();
        this.segmentation = new Batcher<>("segment", options.workers(), options.maxBatch(), delay,
                options.queueCapacity(), () -> {
                    Segmenter own = made.getAndIncrement() == 0 ? segmenter : segmenter.copy();
                    return images -> {
                        long start = System.nanoTime();
                        List<Segmenter.Segmentation> out = own.segmentAll(images);
                        long nanos = System.nanoTime() - start;
                        List<Segmented> results = new ArrayList<>(out.size());
                        out.forEach(s -> results.add(new Segmented(s, start, nanos, images.size())));
                        return results;
                    };
                }, metrics::batch);
        this.classification = classifier == null ? null : new Batcher<>("classify", 1, options.maxBatch(), delay,
                options.queueCapacity(), () -> images -> classifier.classifyAll(images, 5), metrics::batch);
        this.app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            // Threads grown for a burst of connections leave after 5 s idle (Jetty's default is a minute), up to 8 in
            // each 5 s (Jetty's default is one, so a burst of 8 clients took 40 s to shrink back).
            QueuedThreadPool threads = new QueuedThreadPool(200, 8, 5_000);
            threads.setMaxEvictCount(8);
            threads.setName("depthwise-http");
            c.jetty.threadPool = threads;
            // close() waits until no request is being computed, but a response may still be on its way out then:
            // Jetty's graceful stop lets such responses finish writing before the connections close.
            c.jetty.modifyServer(server -> server.setStopTimeout(options.timeout().toMillis() + 1000));
            c.jetty.modifyServletContextHandler(handler -> {
                handler.insertHandler(new GracefulHandler());
                handler.insertHandler(new MinimumDataRateHandler(MIN_UPLOAD_BYTES_PER_SECOND, 0));
                handler.insertHandler(new UploadDeadlineHandler(options.uploadTimeout()));
            });
            c.http.maxRequestSize = options.maxUploadBytes();
            c.jetty.multipartConfig.maxFileSize(options.maxUploadBytes(), SizeUnit.BYTES);
            c.jetty.multipartConfig.maxTotalRequestSize(options.maxUploadBytes() + 65536, SizeUnit.BYTES);
            c.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE, options.maxUploadBytes()),
                    SizeUnit.BYTES);
            c.staticFiles.add(s -> {
                s.hostedPath = "/";
                s.directory = "/dev/depthwise/serve/public";
                s.location = Location.CLASSPATH;
            });
            c.routes.before(ctx -> ctx.attribute(START, System.nanoTime()));
            c.routes.after(ctx -> {
                Long start = ctx.attribute(START);
                String path = ALLOWED.containsKey(ctx.path()) ? ctx.path() : "other";
                metrics.request(path, ctx.status().getCode(), System.nanoTime() - (start == null ? 0 : start));
            });
            c.routes.get("/health", this::health);
            c.routes.get("/ping", this::health);
            c.routes.get("/metrics", ctx -> ctx.contentType(ServeMetrics.CONTENT_TYPE).result(metrics.text()));
            c.routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(resource("openapi.json")));
            c.routes.post("/v1/segment", ctx -> admitted(ctx, () -> segment(ctx, output(ctx), alpha(ctx))));
            c.routes.post("/api/remove", ctx -> admitted(ctx, () -> remove(ctx)));
            c.routes.get("/api/remove", ctx -> {
                throw new ApiException(400, "GET /api/remove?url=... is not supported: this server fetches nothing "
                        + "from the network; POST the image as a multipart 'file' instead");
            });
            c.routes.post("/v1/classify", ctx -> admitted(ctx, () -> classify(ctx)));
            c.routes.exception(ApiException.class, (e, ctx) -> error(ctx, e.status, e.getMessage()));
            c.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(),
                    e.getStatus() == 413 ? "upload larger than the " + options.maxUploadBytes() + " bytes allowed"
                            : e.getMessage()));
            c.routes.exception(Exception.class, (e, ctx) -> error(ctx, 500, "internal error: " + e));
            c.routes.error(404, ctx -> {
                String allowed = ALLOWED.get(ctx.path());
                if (allowed != null && !allowed.contains(ctx.method().name())) {
                    ctx.header("Allow", allowed);
                    error(ctx, 405, ctx.method() + " " + ctx.path() + " is not supported; it takes " + allowed);
                } else if (ctx.result() == null || ctx.result().isEmpty() || ctx.result().startsWith("Endpoint")) {
                    error(ctx, 404, "no such endpoint: " + ctx.method() + " " + ctx.path() + " (see /openapi.json)");
                }
            });
        });
    }

    /**
     * Starts a server; it answers once this returns.
     *
     * @param classifier null for a server without {@code /v1/classify}
     */
    public static SegmentServer start(Segmenter segmenter, Classifier classifier, ServeOptions options) {
        SegmentServer server = new SegmentServer(segmenter, classifier, options);
        server.app.start(options.host(), options.port());
        return server;
    }

    /** Where the server answers, e.g. {@code http://127.0.0.1:8080/}. */
    public URI url() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return URI.create("http://" + host + ":" + app.port() + "/");
    }

    /** Requests admitted and not yet answered. */
    int inFlight() {
        return inFlight.get();
    }

    int queueDepth() {
        return segmentation.depth() + (classification == null ? 0 : classification.depth());
    }

    /**
     * Stops taking requests (new ones get 503), lets the admitted ones finish (within the request timeout), then
     * stops the server and its workers. What a SIGTERM runs.
     */
    @Override
    public void close() {
        draining = true;
        long deadline = System.nanoTime() + options.timeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        app.stop();
        try {
            segmentation.close();
            if (classification != null) {
                classification.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Reads and drops a refused upload's body, up to a bound, before the 413 goes out: a client still sending when
     * the server answers and closes is reset and never reads the answer (seen in tests as "no bytes" instead of 413).
     * Bodies beyond the bound are cut off, as a flood should be.
     */
    private static void discardUpTo(Context ctx, long bound) {
        try (var body = ctx.req().getInputStream()) {
            byte[] buffer = new byte[65536];
            long read = 0;
            int n;
            while (read < bound && (n = body.read(buffer)) >= 0) {
                read += n;
            }
        } catch (IOException | RuntimeException e) {
            // The client went away or Jetty refused the body: the 413 is all that is left to send.
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    private void admitted(Context ctx, Work work) throws Exception {
        if (draining) {
            ctx.header("Connection", "close");
            throw new ApiException(503, "shutting down: not taking new requests");
        }
        if (!admission.tryAcquire()) {
            ctx.header("Retry-After", "1");
            throw new ApiException(429, "busy: " + options.queueCapacity() + " requests already in progress; retry");
        }
        inFlight.incrementAndGet();
        try {
            long declared = ctx.req().getContentLengthLong();
            if (declared > options.maxUploadBytes()) {
                discardUpTo(ctx, 4L * options.maxUploadBytes());
                throw new ApiException(413, "upload of " + declared + " bytes is larger than the "
                        + options.maxUploadBytes() + " bytes allowed (--max-upload-mb)");
            }
            work.run();
        } finally {
            inFlight.decrementAndGet();
            admission.release();
        }
    }

    private void health(Context ctx) {
        ObjectNode body = JSON.createObjectNode();
        body.put("status", draining ? "draining" : "ok");
        body.put("classify", classification != null);
        body.put("queue_depth", queueDepth());
        json(ctx, draining ? 503 : 200, body);
    }

    private enum Output { MASK, OVERLAY, CUTOUT, JSON, ALPHA }

    private static Output output(Context ctx) {
        String value = ctx.queryParam("output");
        if (value == null) {
            return Output.CUTOUT;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "mask" -> Output.MASK;
            case "overlay" -> Output.OVERLAY;
            case "cutout" -> Output.CUTOUT;
            case "json" -> Output.JSON;
            default -> throw new ApiException(400, "output '" + value + "': expected mask, overlay, cutout or json");
        };
    }

    private static AlphaMatte.Mode alpha(Context ctx) {
        String value = ctx.queryParam("alpha");
        try {
            return value == null ? AlphaMatte.Mode.SOFT : AlphaMatte.Mode.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage());
        }
    }

    /** rembg's server API: multipart {@code file}; {@code om=true} (form or query) for the mask alone. */
    private void remove(Context ctx) throws Exception {
        String om = ctx.isMultipartFormData() ? ctx.formParam("om") : null;
        om = om != null ? om : ctx.queryParam("om");
        segment(ctx, "true".equalsIgnoreCase(om) ? Output.ALPHA : Output.CUTOUT, AlphaMatte.Mode.SOFT);
    }

    private void segment(Context ctx, Output output, AlphaMatte.Mode alpha) throws Exception {
        long arrived = ctx.attribute(START);
        Upload upload = upload(ctx);
        long decodeStart = System.nanoTime();
        RgbImage image = UploadDecoder.decode(upload.bytes(), upload.name(), options.maxPixels());
        long decoded = System.nanoTime();
        Segmented result = await(segmentation, image, decodeStart);
        Segmenter.Segmentation s = result.segmentation();
        long renderStart = System.nanoTime();
        String timing = String.format(Locale.ROOT, "decode;dur=%.1f, queue;dur=%.1f, model;dur=%.1f;desc=\"batch %d\"",
                ms(decoded - decodeStart), ms(result.startNanos() - decoded), ms(result.modelNanos()), result.batch());
        if (output == Output.JSON) {
            ObjectNode body = JSON.createObjectNode();
            body.put("width", s.width());
            body.put("height", s.height());
            List<String> names = segmenter.palette().names();
            long[] counts = new long[names.size()];
            for (int c : s.classes()) {
                counts[c]++;
            }
            ObjectNode histogram = body.putObject("classes");
            for (int c = 0; c < counts.length; c++) {
                histogram.put(names.get(c), counts[c]);
            }
            ObjectNode timings = body.putObject("timings_ms");
            timings.put("decode", ms(decoded - decodeStart));
            timings.put("queue", ms(result.startNanos() - decoded));
            timings.put("model", ms(result.modelNanos()));
            timings.put("total", ms(System.nanoTime() - arrived));
            body.put("batch_size", result.batch());
            ctx.header("Server-Timing", timing);
            json(ctx, 200, body);
            return;
        }
        BufferedImage picture = switch (output) {
            case MASK -> Segmenter.maskImage(s, segmenter.palette());
            case OVERLAY -> Segmenter.overlay(image, s, segmenter.palette());
            case CUTOUT -> segmenter.cutoutOf(image, s, alpha);
            default -> alphaImage(segmenter.alphaOf(image, s, alpha), s.width(), s.height());
        };
        byte[] png = PngEncoder.bytes(picture);
        ctx.header("Server-Timing", timing + String.format(Locale.ROOT, ", render;dur=%.1f, total;dur=%.1f",
                ms(System.nanoTime() - renderStart), ms(System.nanoTime() - arrived)));
        ctx.contentType("image/png").result(png);
    }

    private void classify(Context ctx) throws Exception {
        if (classification == null) {
            throw new ApiException(404, "no classifier: start serve with --classifier-weights FILE "
                    + "(torchvision's mobilenet_v2 weights)");
        }
        int top = 5;
        String topParam = ctx.queryParam("top");
        if (topParam != null) {
            try {
                top = Integer.parseInt(topParam);
            } catch (NumberFormatException e) {
                top = -1;
            }
            if (top < 1 || top > 5) {
                throw new ApiException(400, "top '" + topParam + "': expected a whole number from 1 to 5");
            }
        }
        long arrived = ctx.attribute(START);
        Upload upload = upload(ctx);
        long received = System.nanoTime();
        RgbImage image = UploadDecoder.decode(upload.bytes(), upload.name(), options.maxPixels());
        List<Classification.Score> scores = await(classification, image, received);
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("top");
        for (Classification.Score score : scores.subList(0, Math.min(top, scores.size()))) {
            ObjectNode entry = list.addObject();
            entry.put("index", score.index());
            entry.put("label", score.label());
            entry.put("probability", score.probability());
        }
        body.putObject("timings_ms").put("total", ms(System.nanoTime() - arrived));
        json(ctx, 200, body);
    }

    /**
     * Queues {@code image} and waits for its result until {@code --timeout-ms} after its upload was received: the
     * upload has a deadline of its own ({@link UploadDeadlineHandler}), and counted here, a slow but allowed upload
     * would be decoded and queued only to be answered 503 at once.
     */
    private <O> O await(Batcher<RgbImage, O> batcher, RgbImage image, long received) throws Exception {
        CompletableFuture<O> future = batcher.submit(image);
        if (future == null) {
            throw new ApiException(429, "busy: the queue is full; retry");
        }
        long left = options.timeout().toNanos() - (System.nanoTime() - received);
        try {
            return future.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw new ApiException(503, "timed out after " + options.timeout().toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new ApiException(500, "inference failed: " + e.getCause());
        }
    }

    private record Upload(byte[] bytes, String name) {
    }

    /**
     * The upload's bytes; one that breaks off (the client went away, or {@link #MIN_UPLOAD_BYTES_PER_SECOND} or
     * {@code --upload-timeout-ms} cut it off) is the client's fault, not a 500.
     */
    private Upload upload(Context ctx) {
        try {
            return receive(ctx);
        } catch (IOException | UncheckedIOException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof UploadDeadlineHandler.Expired) {
                    throw new ApiException(408, t.getMessage());
                }
                if (t instanceof TimeoutException) {
                    throw new ApiException(408, "upload arrived slower than " + MIN_UPLOAD_BYTES_PER_SECOND
                            + " bytes a second; cut off");
                }
            }
            throw new ApiException(400, "upload broken off: " + e.getMessage());
        }
    }

    private Upload receive(Context ctx) throws IOException {
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        if (type.startsWith("multipart/form-data")) {
            List<UploadedFile> files = ctx.uploadedFiles("file");
            if (files.isEmpty()) {
                throw new ApiException(400, "multipart upload has no 'file' field");
            }
            if (files.size() > 1) {
                // Answering for the first alone would leave the sender thinking every photo was segmented.
                throw new ApiException(400, "multipart upload has " + files.size() + " 'file' fields; send one"
                        + " image per request");
            }
            UploadedFile file = files.get(0);
            try (InputStream in = file.content()) {
                return new Upload(in.readAllBytes(), file.filename() == null ? "file" : file.filename());
            }
        }
        if (type.startsWith("image/") || type.startsWith("application/octet-stream")) {
            return new Upload(ctx.bodyAsBytes(), "body");
        }
        throw new ApiException(400, "expected a multipart/form-data upload with a 'file' field or an image/* body, "
                + (ctx.contentType() == null ? "got no Content-Type" : "got Content-Type '" + ctx.contentType() + "'"));
    }

    private static BufferedImage alphaImage(float[] alpha, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        byte[] pixels = new byte[alpha.length];
        for (int i = 0; i < alpha.length; i++) {
            pixels[i] = (byte) Math.round(alpha[i] * 255);
        }
        img.getRaster().setDataElements(0, 0, width, height, pixels);
        return img;
    }

    private static void json(Context ctx, int status, ObjectNode body) {
        try {
            ctx.status(status).contentType("application/json").result(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void error(Context ctx, int status, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.put("error", message);
        body.put("status", status);
        json(ctx, status, body);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = SegmentServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return in.readAllBytes();
        }
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e5) / 10.0;
    }
}
