package dev.depthwise.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depthwise.models.SegNet;
import dev.depthwise.train.Segmenter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static dev.depthwise.serve.TestServers.get;
import static dev.depthwise.serve.TestServers.photo;
import static dev.depthwise.serve.TestServers.post;
import static dev.depthwise.serve.TestServers.postFile;
import static dev.depthwise.serve.TestServers.readPng;
import static dev.depthwise.serve.TestServers.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every endpoint and every refusal of the server, over HTTP on 127.0.0.1. */
class SegmentServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static SegmentServer server;
    private static URI url;

    @BeforeAll
    static void start() {
        server = SegmentServer.start(TestServers.segmenter(), TestServers.classifier(), TestServers.options());
        url = server.url();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void segmentsAPhotoAtItsOwnSizeInEveryOutput() throws Exception {
        byte[] jpeg = photo(97, 61, "jpeg");
        for (String output : List.of("mask", "overlay", "cutout")) {
            HttpResponse<byte[]> r = postFile(url, "/v1/segment?output=" + output, "file", jpeg, Map.of());
            assertEquals(200, r.statusCode(), text(r));
            assertEquals("image/png", r.headers().firstValue("Content-Type").orElse(""));
            BufferedImage img = readPng(r.body());
            assertEquals(97, img.getWidth());
            assertEquals(61, img.getHeight());
            assertEquals(output.equals("cutout"), img.getColorModel().hasAlpha(), output);
            assertTrue(r.headers().firstValue("Server-Timing").orElse("").contains("model;dur="), output);
        }
        // A raw image/* body works as the multipart field does, and the default output is the cut-out.
        HttpResponse<byte[]> raw = post(url, "/v1/segment?alpha=hard", photo(40, 30, "png"), "image/png");
        assertEquals(200, raw.statusCode(), text(raw));
        assertTrue(readPng(raw.body()).getColorModel().hasAlpha());
    }

    @Test
    void jsonOutputGivesSizesHistogramAndTimings() throws Exception {
        HttpResponse<byte[]> r = post(url, "/v1/segment?output=json", photo(50, 40, "png"), "image/png");
        assertEquals(200, r.statusCode(), text(r));
        JsonNode body = JSON.readTree(r.body());
        assertEquals(50, body.get("width").asInt());
        assertEquals(40, body.get("height").asInt());
        long pixels = 0;
        for (String cls : List.of("pet", "background", "border")) {
            pixels += body.get("classes").get(cls).asLong();
        }
        assertEquals(2000, pixels);
        assertTrue(body.get("timings_ms").get("total").asDouble() > 0);
        assertTrue(body.get("batch_size").asInt() >= 1);
    }

    @Test
    void aCheckpointOfOtherClassesIsServedByItsOwnNames() throws Exception {
        Segmenter twoClasses = new Segmenter(new SegNet(SegNet.ConvKind.DEPTHWISE_SEPARABLE, 2, true, 3),
                TestServers.SIZE, List.of("background", "cat"));
        try (SegmentServer other = SegmentServer.start(twoClasses, null, TestServers.options())) {
            JsonNode body = JSON.readTree(post(other.url(), "/v1/segment?output=json", photo(30, 20, "png"),
                    "image/png").body());
            assertEquals(600, body.get("classes").get("background").asLong() + body.get("classes").get("cat").asLong());
            // Not the pet trimap: the cut-out's alpha is by class, opaque or clear.
            HttpResponse<byte[]> mask = postFile(other.url(), "/api/remove", "file", photo(30, 20, "png"),
                    Map.of("om", "true"));
            BufferedImage grey = readPng(mask.body());
            for (int y = 0; y < 20; y++) {
                for (int x = 0; x < 30; x++) {
                    int a = grey.getRaster().getSample(x, y, 0);
                    assertTrue(a == 0 || a == 255, "alpha " + a);
                }
            }
        }
    }

    @Test
    void rembgApiGivesTheCutoutOrTheMaskAlone() throws Exception {
        byte[] png = photo(64, 48, "png");
        HttpResponse<byte[]> cutout = postFile(url, "/api/remove", "file", png, Map.of());
        assertEquals(200, cutout.statusCode(), text(cutout));
        BufferedImage rgba = readPng(cutout.body());
        assertTrue(rgba.getColorModel().hasAlpha());
        assertEquals(64, rgba.getWidth());
        HttpResponse<byte[]> mask = postFile(url, "/api/remove", "file", png, Map.of("om", "true"));
        assertEquals(200, mask.statusCode(), text(mask));
        BufferedImage grey = readPng(mask.body());
        assertEquals(1, grey.getRaster().getNumBands());
        assertEquals(48, grey.getHeight());
        // The mask is the cut-out's alpha.
        assertEquals(rgba.getRGB(10, 10) >>> 24, grey.getRaster().getSample(10, 10, 0));
        assertEquals(rgba.getRGB(32, 24) >>> 24, grey.getRaster().getSample(32, 24, 0));
        HttpResponse<byte[]> byUrl = get(url, "/api/remove?url=http://example.com/cat.jpg");
        assertEquals(400, byUrl.statusCode());
        assertTrue(error(byUrl).contains("POST the image"), error(byUrl));
    }

    @Test
    void classifiesWithTopK() throws Exception {
        HttpResponse<byte[]> r = postFile(url, "/v1/classify?top=3", "file", photo(80, 60, "jpeg"), Map.of());
        assertEquals(200, r.statusCode(), text(r));
        JsonNode top = JSON.readTree(r.body()).get("top");
        assertEquals(3, top.size());
        double previous = 1;
        for (JsonNode entry : top) {
            double p = entry.get("probability").asDouble();
            assertTrue(p <= previous && p > 0, "probabilities best first: " + top);
            previous = p;
            assertEquals("class " + entry.get("index").asInt(), entry.get("label").asText());
        }
        assertEquals(400, postFile(url, "/v1/classify?top=9", "file", photo(20, 20, "png"), Map.of()).statusCode());
    }

    @Test
    void classifyWithoutWeightsSaysHowToGetIt() throws Exception {
        try (SegmentServer plain = SegmentServer.start(TestServers.segmenter(), null, TestServers.options())) {
            HttpResponse<byte[]> r = postFile(plain.url(), "/v1/classify", "file", photo(20, 20, "png"), Map.of());
            assertEquals(404, r.statusCode());
            assertTrue(error(r).contains("--classifier-weights"), error(r));
        }
    }

    @Test
    void healthPingOpenApiAndThePage() throws Exception {
        for (String path : List.of("/health", "/ping")) {
            HttpResponse<byte[]> r = get(url, path);
            assertEquals(200, r.statusCode());
            assertEquals("ok", JSON.readTree(r.body()).get("status").asText());
        }
        JsonNode api = JSON.readTree(get(url, "/openapi.json").body());
        assertTrue(api.get("openapi").asText().startsWith("3."));
        for (String path : List.of("/v1/segment", "/v1/classify", "/api/remove", "/health", "/ping", "/metrics")) {
            assertNotNull(api.get("paths").get(path), path);
        }
        String page = text(get(url, "/"));
        assertTrue(page.contains("<input id=\"file\" type=\"file\""), page);
        for (String asset : List.of("/app.js", "/style.css")) {
            assertEquals(200, get(url, asset).statusCode(), asset);
        }
        assertFalse(page.contains("http://") || page.contains("https://"), "the page loads nothing from elsewhere");
    }

    @Test
    void metricsCountRequestsLatencyQueueAndBatches() throws Exception {
        post(url, "/v1/segment?output=mask", photo(30, 30, "png"), "image/png");
        post(url, "/v1/segment", "not an image".getBytes(StandardCharsets.UTF_8), "image/png");
        HttpResponse<byte[]> r = get(url, "/metrics");
        assertEquals(200, r.statusCode());
        String metrics = text(r);
        assertTrue(metrics.contains("depthwise_requests_total{path=\"/v1/segment\",status=\"200\"}"), metrics);
        assertTrue(metrics.contains("depthwise_requests_total{path=\"/v1/segment\",status=\"400\"}"), metrics);
        assertTrue(metrics.contains("depthwise_request_duration_seconds_bucket{"), metrics);
        assertTrue(metrics.contains("depthwise_queue_depth "), metrics);
        assertTrue(metrics.contains("depthwise_batch_size_bucket{le=\"1.0\"}"), metrics);
    }

    @Test
    void badUploadsAreRefusedWithJsonNamingTheProblem() throws Exception {
        HttpResponse<byte[]> notImage = postFile(url, "/v1/segment", "file",
                "hello, not a picture".getBytes(StandardCharsets.UTF_8), Map.of());
        assertEquals(400, notImage.statusCode());
        assertTrue(error(notImage).contains("photo.png: not an image"), error(notImage));
        assertEquals("application/json", notImage.headers().firstValue("Content-Type").orElse(""));

        byte[] png = photo(40, 40, "png");
        byte[] cut = java.util.Arrays.copyOf(png, png.length / 2);
        assertEquals(400, post(url, "/v1/segment", cut, "image/png").statusCode());
        assertEquals(400, post(url, "/v1/segment", new byte[0], "image/png").statusCode());
        // A cut-off JPEG decodes to a grey-filled picture in the JDK; the shared decoder refuses it, as segment does.
        byte[] jpeg = photo(120, 90, "jpeg");
        HttpResponse<byte[]> cutJpeg = post(url, "/v1/segment", java.util.Arrays.copyOf(jpeg, jpeg.length * 2 / 3),
                "image/jpeg");
        assertEquals(400, cutJpeg.statusCode(), text(cutJpeg));

        HttpResponse<byte[]> wrongType = post(url, "/v1/segment", png, "text/plain");
        assertEquals(400, wrongType.statusCode());
        assertTrue(error(wrongType).contains("Content-Type 'text/plain'"), error(wrongType));

        HttpResponse<byte[]> noField = postFile(url, "/v1/segment", "picture", png, Map.of());
        assertEquals(400, noField.statusCode());
        assertTrue(error(noField).contains("'file'"), error(noField));

        HttpResponse<byte[]> badOutput = post(url, "/v1/segment?output=gif", png, "image/png");
        assertEquals(400, badOutput.statusCode());
        assertTrue(error(badOutput).contains("output 'gif'"), error(badOutput));
        assertEquals(400, post(url, "/v1/segment?alpha=fuzzy", png, "image/png").statusCode());

        HttpResponse<byte[]> noType = post(url, "/v1/segment", png, null);
        assertEquals(400, noType.statusCode());
        assertTrue(error(noType).endsWith("got no Content-Type"), error(noType));

        String boundary = "two-files";
        String part = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n";
        ByteArrayOutputStream two = new ByteArrayOutputStream();
        for (int i = 0; i < 2; i++) {
            two.writeBytes(part.getBytes(StandardCharsets.UTF_8));
            two.writeBytes(png);
            two.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        two.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<byte[]> twoFiles = post(url, "/v1/segment", two.toByteArray(),
                "multipart/form-data; boundary=" + boundary);
        assertEquals(400, twoFiles.statusCode(), text(twoFiles));
        assertEquals("multipart upload has 2 'file' fields; send one image per request", error(twoFiles));

        HttpResponse<byte[]> wrongMethod = get(url, "/v1/segment");
        assertEquals(405, wrongMethod.statusCode(), text(wrongMethod));
        assertEquals("POST", wrongMethod.headers().firstValue("Allow").orElse(""));
        assertEquals("GET /v1/segment is not supported; it takes POST", error(wrongMethod));

        HttpResponse<byte[]> missing = get(url, "/v2/nothing");
        assertEquals(404, missing.statusCode());
        assertTrue(error(missing).contains("/v2/nothing"), error(missing));
    }

    @Test
    void tooLargeUploadsAndDecompressionBombsGet413() throws Exception {
        ServeOptions small = new ServeOptions("127.0.0.1", 0, 1, 4, Duration.ofMillis(2), 8, 1_000_000, 200_000,
                Duration.ofSeconds(60), ServeOptions.DEFAULT_UPLOAD_TIMEOUT);
        try (SegmentServer limited = SegmentServer.start(TestServers.segmenter(), null, small)) {
            byte[] big = new byte[1_100_000];
            HttpResponse<byte[]> body = post(limited.url(), "/v1/segment", big, "image/png");
            assertEquals(413, body.statusCode());
            assertTrue(error(body).contains("1000000 bytes"), error(body));
            assertEquals(413, postFile(limited.url(), "/api/remove", "file", big, Map.of()).statusCode());

            HttpResponse<byte[]> bomb = post(limited.url(), "/v1/segment", pngDeclaring(100_000, 100_000), "image/png");
            assertEquals(413, bomb.statusCode());
            assertTrue(error(bomb).contains("100000x100000"), error(bomb));
            // A real image just under the pixel limit goes through.
            assertEquals(200, post(limited.url(), "/v1/segment", photo(400, 400, "png"), "image/png").statusCode());
        }
    }

    @Test
    void aFullQueueGets429WithRetryAfterAndAWaitingRequestTimesOut() throws Exception {
        ServeOptions tight = new ServeOptions("127.0.0.1", 0, 1, 1, Duration.ZERO, 2, 1 << 20, 1_000_000,
                Duration.ofMillis(1500), ServeOptions.DEFAULT_UPLOAD_TIMEOUT);
        CountDownLatch gate = new CountDownLatch(1);
        try (SegmentServer held = SegmentServer.start(TestServers.gatedSegmenter(gate), null, tight)) {
            byte[] png = photo(20, 20, "png");
            List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                calls.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return post(held.url(), "/v1/segment?output=mask", png, "image/png");
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            int busy = 0;
            int timedOut = 0;
            for (CompletableFuture<HttpResponse<byte[]>> call : calls) {
                HttpResponse<byte[]> r = call.get(1, TimeUnit.MINUTES);
                switch (r.statusCode()) {
                    case 429 -> {
                        busy++;
                        assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
                        assertTrue(error(r).contains("busy"), error(r));
                    }
                    case 503 -> {
                        timedOut++;
                        assertTrue(error(r).contains("timed out after 1500 ms"), error(r));
                    }
                    default -> throw new AssertionError("unexpected " + r.statusCode() + ": " + text(r));
                }
            }
            // The gate holds every admitted request: the queue's two places, and a third if the worker had taken
            // the first out of the queue before the others arrived. All of them time out; the rest are refused.
            assertTrue(timedOut >= 2 && timedOut <= 3 && busy == 6 - timedOut,
                    timedOut + " timed out, " + busy + " busy");
            gate.countDown();
            HttpResponse<byte[]> after = post(held.url(), "/v1/segment?output=mask", png, "image/png");
            assertEquals(200, after.statusCode(), "the server answers again once the model does: " + text(after));
        }
    }

    @Test
    void aTricklingUploadIsCutOffAndFreesItsPlace() throws Exception {
        ServeOptions one = new ServeOptions("127.0.0.1", 0, 1, 1, Duration.ZERO, 1, 1 << 20, 1_000_000,
                Duration.ofSeconds(60), ServeOptions.DEFAULT_UPLOAD_TIMEOUT);
        try (SegmentServer held = SegmentServer.start(TestServers.segmenter(), null, one);
             java.net.Socket slow = new java.net.Socket("127.0.0.1", held.url().getPort())) {
            // A slowloris: headers promise 100,000 bytes, which then come a few a second; the one place is its.
            var out = slow.getOutputStream();
            out.write(("POST /v1/segment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                    + "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(0x89);
            out.flush();
            long start = System.nanoTime();
            while (held.inFlight() == 0 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20)) {
                Thread.sleep(10);
            }
            assertEquals(1, held.inFlight(), "the trickling upload was never admitted");
            Thread trickle = new Thread(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        Thread.sleep(200);
                        out.write('x');
                        out.flush();
                    }
                } catch (Exception e) {
                    // cut off by the server: what is expected
                }
            });
            trickle.setDaemon(true);
            trickle.start();
            byte[] png = photo(20, 20, "png");
            int status = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (status != 200 && System.nanoTime() < deadline) {
                status = post(held.url(), "/v1/segment?output=mask", png, "image/png").statusCode();
                if (status != 200) {
                    Thread.sleep(100);
                }
            }
            assertEquals(200, status, "a trickling upload held the server's only place for 20 s");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20));
            trickle.interrupt();
        }
    }

    @Test
    void anUploadFastEnoughForTheRateButPastItsDeadlineGets408() throws Exception {
        ServeOptions options = new ServeOptions("127.0.0.1", 0, 1, 1, Duration.ZERO, 1, 1 << 20, 1_000_000,
                Duration.ofSeconds(60), Duration.ofSeconds(2));
        try (SegmentServer server = SegmentServer.start(TestServers.segmenter(), null, options);
             java.net.Socket slow = new java.net.Socket("127.0.0.1", server.url().getPort())) {
            // Headers promise 1 MB, which then comes at 4 KB a second, four times the minimum rate: about 4 minutes.
            slow.setSoTimeout(15_000);
            var out = slow.getOutputStream();
            out.write(("POST /v1/segment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                    + "Content-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();
            Thread trickle = new Thread(() -> {
                try {
                    for (int i = 0; i < 300 && !Thread.currentThread().isInterrupted(); i++) { // at most 15 s
                        out.write(new byte[200]);
                        out.flush();
                        Thread.sleep(50);
                    }
                } catch (Exception e) {
                    // cut off by the server: what is expected
                }
            });
            trickle.setDaemon(true);
            trickle.start();
            var in = new java.io.InputStreamReader(slow.getInputStream(), StandardCharsets.US_ASCII);
            StringBuilder answer = new StringBuilder();
            double seconds = 0;
            for (int c; !answer.toString().contains("cut off") && (c = in.read()) >= 0; ) {
                if (answer.length() == 0) {
                    seconds = (System.nanoTime() - start) / 1e9;
                }
                answer.append((char) c);
            }
            trickle.interrupt();
            assertTrue(answer.toString().startsWith("HTTP/1.1 408 "), answer.toString());
            assertTrue(seconds >= 1.9 && seconds < 12, "answered after " + seconds + " s, the deadline is 2 s");
            assertTrue(answer.toString().contains("upload still arriving after 2000 ms (--upload-timeout-ms); cut off"),
                    answer.toString());
        }
    }

    @Test
    void theAnswerTimeoutCountsFromTheEndOfAnAllowedSlowUpload() throws Exception {
        // Answers within 1 s of the upload; the upload itself may take 20 s.
        ServeOptions options = new ServeOptions("127.0.0.1", 0, 1, 1, Duration.ZERO, 1, 1 << 20, 1_000_000,
                Duration.ofSeconds(1), Duration.ofSeconds(20));
        byte[] bmp = photo(120, 120, "bmp"); // 43 KB, uncompressed
        try (SegmentServer server = SegmentServer.start(TestServers.segmenter(), null, options);
             java.net.Socket slow = new java.net.Socket("127.0.0.1", server.url().getPort())) {
            slow.setSoTimeout(15_000);
            var out = slow.getOutputStream();
            out.write(("POST /v1/segment?output=json HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/bmp\r\n"
                    + "Content-Length: " + bmp.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            for (int at = 0; at < bmp.length; at += 1024) { // 16 KB a second: about 2.6 s
                out.write(bmp, at, Math.min(1024, bmp.length - at));
                out.flush();
                Thread.sleep(60);
            }
            assertTrue(System.nanoTime() - start > TimeUnit.SECONDS.toNanos(2), "the upload took less than 2 s");
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(slow.getInputStream(),
                    StandardCharsets.US_ASCII));
            assertEquals("HTTP/1.1 200 OK", in.readLine());
        }
    }

    @Test
    void closingLetsAdmittedRequestsFinishAndRefusesNewOnes() throws Exception {
        ServeOptions options = new ServeOptions("127.0.0.1", 0, 1, 1, Duration.ZERO, 4, 1 << 20, 1_000_000,
                Duration.ofSeconds(10), ServeOptions.DEFAULT_UPLOAD_TIMEOUT);
        // The request in flight lasts 3 s so that the late request below is answered (503) while the server still
        // listens, even on a loaded machine: with 0.8 s it once reached a server that had already closed.
        SegmentServer slow = SegmentServer.start(TestServers.slowSegmenter(3000), null, options);
        URI base = slow.url();
        CompletableFuture<HttpResponse<byte[]>> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return post(base, "/v1/segment?output=mask", photo(20, 20, "png"), "image/png");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (slow.inFlight() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5); // until the request is admitted
        }
        CompletableFuture<Void> closing = CompletableFuture.runAsync(slow::close);
        Thread.sleep(100);
        assertFalse(closing.isDone(), "close waits for the request in flight");
        HttpResponse<byte[]> late = post(base, "/v1/segment", photo(20, 20, "png"), "image/png");
        assertEquals(503, late.statusCode());
        assertTrue(error(late).contains("shutting down"), error(late));
        assertEquals(200, inFlight.get().statusCode(), text(inFlight.get()));
        closing.get();
    }

    private static String error(HttpResponse<byte[]> r) throws Exception {
        return JSON.readTree(r.body()).get("error").asText();
    }

    /** A valid PNG header (signature, IHDR with its CRC) declaring a huge image, and no pixel data. */
    private static byte[] pngDeclaring(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        byte[] chunk = java.nio.ByteBuffer.allocate(17).put("IHDR".getBytes(StandardCharsets.US_ASCII))
                .putInt(width).putInt(height).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0)
                .array();
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(13).array());
        out.writeBytes(chunk);
        CRC32 crc = new CRC32();
        crc.update(chunk);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        return out.toByteArray();
    }
}
