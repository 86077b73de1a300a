package dev.depthwise.serve;

import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bounded soak: 120 requests from 8 clients, one in four a bad upload and one in eight a connection dropped
 * mid-upload; afterwards the server still answers, and its heap and thread count are back near their baseline.
 */
class SoakTest {
    /** Jetty keeps a few threads reserved beyond its minimum; a leak would grow with the 15 dropped connections. */
    private static final int SLACK = 3;

    @Test
    void survivesBadUploadsAndDroppedConnections() throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        try (SegmentServer server = SegmentServer.start(TestServers.segmenter(), null, TestServers.options())) {
            URI url = server.url();
            byte[] good = TestServers.photo(120, 90, "jpeg");
            // Warm up (plans compiled, Jetty's pool grown), then take the baseline.
            for (int i = 0; i < 5; i++) {
                assertEquals(200, TestServers.post(url, "/v1/segment?output=mask", good, "image/jpeg").statusCode());
            }
            int baseThreads = serverThreads();
            long baseHeap = settledHeap(memory);

            ExecutorService clients = Executors.newFixedThreadPool(8);
            List<Future<Integer>> results = new ArrayList<>();
            Random random = new Random(42);
            for (int i = 0; i < 120; i++) {
                int kind = i % 8;
                long seed = random.nextLong();
                results.add(clients.submit(() -> switch (kind) {
                    case 0 -> dropMidUpload(url, good);
                    case 1, 2 -> TestServers.postFile(url, "/v1/segment", "file", garbage(seed), Map.of()).statusCode();
                    default -> TestServers.post(url, "/v1/segment?output=" + (kind % 2 == 0 ? "cutout" : "json"),
                            good, "image/jpeg").statusCode();
                }));
            }
            int answered = 0;
            int bad = 0;
            for (Future<Integer> f : results) {
                int status = f.get();
                assertTrue(status == 200 || status == 400 || status == -1 || status == 429, "status " + status);
                answered += status == 200 || status == 429 ? 1 : 0;
                bad += status == 400 ? 1 : 0;
            }
            clients.shutdown();
            assertTrue(clients.awaitTermination(10, TimeUnit.SECONDS));
            assertEquals(75, answered, "every good upload answered (200, or 429 when busy)");
            assertEquals(30, bad);

            HttpResponse<byte[]> after = TestServers.post(url, "/v1/segment?output=mask", good, "image/jpeg");
            assertEquals(200, after.statusCode());
            assertEquals(200, TestServers.get(url, "/health").statusCode());
            assertEquals(0, server.inFlight());
            int afterThreads = serverThreads();
            for (long deadline = System.nanoTime() + 30_000_000_000L;
                 afterThreads > baseThreads + SLACK && System.nanoTime() < deadline; afterThreads = serverThreads()) {
                Thread.sleep(250); // the server's extra connection threads leave after 5 s idle
            }
            long afterHeap = settledHeap(memory);
            System.out.printf("soak: server threads %d -> %d, heap used %d -> %d MiB%n", baseThreads, afterThreads,
                    baseHeap >> 20, afterHeap >> 20);
            assertTrue(afterThreads <= baseThreads + SLACK, "server threads " + baseThreads + " -> " + afterThreads + ": "
                    + Thread.getAllStackTraces().keySet().stream().map(Thread::getName).sorted().toList());
            assertTrue(afterHeap <= baseHeap + (64L << 20), "heap " + (baseHeap >> 20) + " -> " + (afterHeap >> 20) + " MiB");
        }
    }

    /** Sends the headers and half the body of an upload, then closes the socket; -1 when done. */
    private static int dropMidUpload(URI url, byte[] body) throws Exception {
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/segment HTTP/1.1\r\nHost: " + url.getHost() + "\r\nContent-Type: image/jpeg\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, body.length / 2);
            out.flush();
        }
        return -1;
    }

    private static byte[] garbage(long seed) {
        byte[] bytes = new byte[1 + (int) Math.floorMod(seed, 4000L)];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /**
     * The server's threads (its HTTP pool and inference workers); the test's own HTTP client keeps idle workers for
     * a minute, which says nothing about the server.
     */
    private static int serverThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("depthwise-http") || t.getName().startsWith("segment-")).count();
    }

    private static long settledHeap(MemoryMXBean memory) throws InterruptedException {
        System.gc();
        Thread.sleep(200);
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }
}
