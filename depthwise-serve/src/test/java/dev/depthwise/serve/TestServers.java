package dev.depthwise.serve;

import dev.depthwise.engine.Tensor;
import dev.depthwise.models.MobileNetV2;
import dev.depthwise.models.SegNet;
import dev.depthwise.nn.Module;
import dev.depthwise.train.Classifier;
import dev.depthwise.train.Segmenter;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Small models, photos and an HTTP client for the server's tests (all seeded; loopback only). */
final class TestServers {
    static final int SIZE = 32;
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestServers() {
    }

    /** SegNet-DSC with seeded random weights, run at 32x32. */
    static Segmenter segmenter() {
        return new Segmenter(new SegNet(SegNet.ConvKind.DEPTHWISE_SEPARABLE, 3, true, 1), SIZE);
    }

    /** A MobileNetV2 of width 0.25 and ten classes, seeded random weights. */
    static Classifier classifier() {
        return new Classifier(new MobileNetV2(10, 0.25, 0.2f, 2));
    }

    /** A segmenter whose every batch takes {@code millis}: for queues, timeouts and shutdown. */
    static Segmenter slowSegmenter(long millis) {
        return new Segmenter(new SlowModule(millis, null), SIZE);
    }

    /**
     * A segmenter whose every batch waits until {@code gate} opens (a minute at most): nothing is answered before
     * the test says so, however slowly a loaded machine delivers its requests.
     */
    static Segmenter gatedSegmenter(CountDownLatch gate) {
        return new Segmenter(new SlowModule(0, gate), SIZE);
    }

    static ServeOptions options() {
        return ServeOptions.defaults().withPort(0);
    }

    /** A photo-like picture (a warm blob on a cool gradient) as PNG or JPEG bytes. */
    static byte[] photo(int width, int height, String format) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double dx = (x - width / 2.0) / (width / 3.0);
                double dy = (y - height / 2.0) / (height / 3.0);
                boolean pet = dx * dx + dy * dy < 1;
                int rgb = pet ? (220 << 16) | (140 << 8) | 60 : ((40 + x % 50) << 16) | ((80 + y % 60) << 8) | 160;
                img.setRGB(x, y, rgb);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, format, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static BufferedImage readPng(byte[] bytes) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
        if (img == null) {
            throw new IOException("not an image: " + new String(bytes, 0, Math.min(200, bytes.length), StandardCharsets.UTF_8));
        }
        return img;
    }

    static HttpResponse<byte[]> get(URI base, String path) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<byte[]> post(URI base, String path, byte[] body, String contentType)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** A multipart/form-data POST with one file field and text fields. */
    static HttpResponse<byte[]> postFile(URI base, String path, String field, byte[] file, Map<String, String> fields)
            throws IOException, InterruptedException {
        String boundary = "----depthwise-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Map.Entry<String, String> e : fields.entrySet()) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + e.getKey()
                    + "\"\r\n\r\n" + e.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field
                + "\"; filename=\"photo.png\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(file);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return post(base, path, body.toByteArray(), "multipart/form-data; boundary=" + boundary);
    }

    static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /**
     * Three-class logits that favour the pet in the middle; waits for its gate (if any), then sleeps. No lowering:
     * runs through forward.
     */
    private static final class SlowModule extends Module {
        private final long millis;
        private final CountDownLatch gate;

        SlowModule(long millis, CountDownLatch gate) {
            this.millis = millis;
            this.gate = gate;
        }

        @Override
        protected Tensor computeForward(Tensor x) {
            try {
                if (gate != null && !gate.await(1, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("the test never opened the gate");
                }
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Tensor out = Tensor.zeros(x.n(), 3, x.h(), x.w());
            int plane = x.h() * x.w();
            for (int n = 0; n < x.n(); n++) {
                for (int i = 0; i < plane; i++) {
                    int y = i / x.w();
                    int xx = i % x.w();
                    boolean centre = Math.abs(y - x.h() / 2) < x.h() / 4 && Math.abs(xx - x.w() / 2) < x.w() / 4;
                    out.data()[(n * 3 + (centre ? 0 : 1)) * plane + i] = 1f;
                }
            }
            return out;
        }

        @Override
        protected Tensor computeBackward(Tensor gradOut) {
            throw new UnsupportedOperationException("inference only");
        }
    }
}
