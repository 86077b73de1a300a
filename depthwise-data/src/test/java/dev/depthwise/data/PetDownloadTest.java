package dev.depthwise.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads from a local HTTP server on 127.0.0.1 serving small archives in the official layout. */
class PetDownloadTest {
    @TempDir
    Path tmp;

    private HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    /** Range headers received ("" when none), in order. */
    private final List<String> ranges = new CopyOnWriteArrayList<>();
    /** When >= 0, the next response for images.tar.gz stops after this many bytes and drops the connection. */
    private final AtomicLong dropImagesAfter = new AtomicLong(-1);
    private Path source;

    @BeforeEach
    void serve() throws Exception {
        source = tmp.resolve("source");
        SyntheticPets.generate(source, 6, 48, 4);
        files.put("images.tar.gz", tarGz(source, "images"));
        files.put("annotations.tar.gz", tarGz(source, "annotations"));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/pets/", this::handle);
        server.createContext("/moved/", this::redirect);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/pets/");
    }

    /** The official site answers with redirects; a resumed download must keep its Range through them. */
    private void redirect(HttpExchange exchange) throws IOException {
        String name = exchange.getRequestURI().getPath().substring("/moved/".length());
        exchange.getResponseHeaders().add("Location", base() + name);
        exchange.sendResponseHeaders(302, -1);
        exchange.close();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String name = exchange.getRequestURI().getPath().substring("/pets/".length());
        byte[] body = files.get(name);
        String range = exchange.getRequestHeaders().getFirst("Range");
        ranges.add(range == null ? "" : range);
        if (body == null) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        int from = 0;
        if (range != null) {
            from = Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
            if (from >= body.length) {
                exchange.sendResponseHeaders(416, -1);
                exchange.close();
                return;
            }
            exchange.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            exchange.sendResponseHeaders(206, body.length - from);
        } else {
            exchange.sendResponseHeaders(200, body.length);
        }
        long drop = name.equals("images.tar.gz") ? dropImagesAfter.getAndSet(-1) : -1;
        OutputStream out = exchange.getResponseBody();
        if (drop >= 0) {
            out.write(body, from, (int) drop);
            out.flush();
            // Drop the connection mid-body, as a network failure would: stopping the server closes every
            // connection (it must run on another thread, stop waits for handlers). A new server takes over.
            HttpServer dying = server;
            Thread stopper = new Thread(() -> dying.stop(0));
            stopper.start();
            return;
        }
        out.write(body, from, body.length - from);
        out.close();
    }

    private void restartServer() throws IOException {
        server.stop(0);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/pets/", this::handle);
        server.createContext("/moved/", this::redirect);
        server.start();
    }

    private URI movedBase() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/moved/");
    }

    private static byte[] tarGz(Path root, String top) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes));
             Stream<Path> walk = Files.walk(root.resolve(top))) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                String name = root.relativize(p).toString().replace('\\', '/') + (Files.isDirectory(p) ? "/" : "");
                TarArchiveEntry entry = new TarArchiveEntry(p.toFile(), name);
                tar.putArchiveEntry(entry);
                if (Files.isRegularFile(p)) {
                    Files.copy(p, tar);
                }
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private void assertSameDataset(Path target) throws Exception {
        OxfordPets got = OxfordPets.open(target);
        OxfordPets want = OxfordPets.open(source);
        assertEquals(want.trainval().size(), got.trainval().size());
        assertEquals(want.test().size(), got.test().size());
        for (PetEntry e : want.trainval()) {
            assertArrayEquals(Files.readAllBytes(e.image()), Files.readAllBytes(got.imageFile(e.name())));
            assertArrayEquals(Files.readAllBytes(e.trimap()), Files.readAllBytes(got.trimapFile(e.name())));
        }
    }

    @Test
    void downloadsExtractsAndIsIdempotent() throws Exception {
        Path target = tmp.resolve("pets");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PetDownload.mirror(base(), target, new java.io.PrintStream(log, true)).run();
        assertSameDataset(target);
        assertEquals(List.of("", ""), ranges);
        assertTrue(log.toString().contains("100%"), log.toString());
        assertFalse(Files.exists(target.resolve("images.tar.gz")), "the archive is removed once extracted");

        PetDownload.mirror(base(), target, null).run();
        assertEquals(2, ranges.size(), "nothing is fetched again");
    }

    @Test
    void droppedConnectionIsResumedWithARangeRequest() throws Exception {
        Path target = tmp.resolve("pets");
        int half = files.get("images.tar.gz").length / 2;
        dropImagesAfter.set(half);
        IOException e = assertThrows(IOException.class, () -> PetDownload.mirror(base(), target, null).run());
        assertTrue(e.getMessage().contains("run the download again to resume"), e.getMessage());
        long partial = Files.size(target.resolve("images.tar.gz.part"));
        assertTrue(partial > 0 && partial <= half, "partial file of " + partial + " bytes");

        restartServer();
        PetDownload.mirror(movedBase(), target, null).run(); // through a redirect, as the official site answers
        assertEquals("bytes=" + partial + "-", ranges.get(1));
        assertFalse(Files.exists(target.resolve("images.tar.gz.part")));
        assertSameDataset(target);
    }

    @Test
    void aPartTheServerWillNotResumeIsFetchedAgain() throws Exception {
        Path target = tmp.resolve("pets");
        Files.createDirectories(target);
        byte[] images = files.get("images.tar.gz");
        Files.write(target.resolve("images.tar.gz.part"), images); // whole, but unknown to be (no expected size)
        PetDownload.mirror(base(), target, null).run();
        assertEquals(List.of("bytes=" + images.length + "-", "", ""), ranges);
        assertSameDataset(target);
    }

    @Test
    void sizeMismatchIsAnErrorAndNothingIsExtracted() throws Exception {
        Path target = tmp.resolve("pets");
        long real = files.get("images.tar.gz").length;
        PetDownload download = new PetDownload(base(), List.of(new PetDownload.Archive("images.tar.gz", real + 10)), target, null);
        IOException e = assertThrows(IOException.class, download::run);
        assertTrue(e.getMessage().contains("size mismatch: server reports " + real + " bytes, expected " + (real + 10)),
                e.getMessage());
        assertFalse(Files.exists(target.resolve("images")));
    }

    @Test
    void missingArchiveNamesTheUrlAndStatus() {
        PetDownload download = new PetDownload(base(), List.of(new PetDownload.Archive("nothing.tar.gz", -1)),
                tmp.resolve("pets"), null);
        IOException e = assertThrows(IOException.class, download::run);
        assertTrue(e.getMessage().contains("nothing.tar.gz: HTTP 404"), e.getMessage());
    }

    @Test
    void unreachableServerNamesTheUrl() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort(); // free once closed: nothing listens there
        }
        PetDownload download = PetDownload.mirror(java.net.URI.create("http://127.0.0.1:" + closedPort + "/"),
                tmp.resolve("pets"), null);
        IOException e = assertThrows(IOException.class, download::run);
        assertTrue(e.getMessage().startsWith("http://127.0.0.1:" + closedPort + "/images.tar.gz: cannot connect"),
                e.getMessage());
    }

    @Test
    void aServerThatNeverAnswersIsATimeoutNotAConnectionFailure() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String url = "http://127.0.0.1:" + silent.getLocalPort() + "/"; // the kernel accepts; nobody answers
            PetDownload download = new PetDownload(java.net.URI.create(url),
                    List.of(new PetDownload.Archive("images.tar.gz", -1)), tmp.resolve("pets"), null,
                    java.time.Duration.ofMillis(300));
            IOException e = assertThrows(IOException.class, download::run);
            assertEquals(url + "images.tar.gz: connected, but the server sent no answer within 0.3 s", e.getMessage());
        }
    }

    @Test
    void aMirrorUrlThatIsNotHttpIsRefusedUpFront() {
        for (String url : List.of("notaurl", "ftp://127.0.0.1/x", "file:///tmp/x")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PetDownload.mirror(java.net.URI.create(url), tmp.resolve("pets"), null));
            assertTrue(e.getMessage().contains("'" + url + "' is not an absolute http:// or https:// URL"), e.getMessage());
        }
    }

    @Test
    void progressLineShowsBytesPercentRateAndEta() {
        ProgressBar bar = new ProgressBar(null, "images.tar.gz", 200_000_000L, 0);
        String line = bar.line(50_000_000L, 5_000_000_000L);
        assertTrue(line.startsWith("images.tar.gz [=======>"), line);
        assertTrue(line.endsWith("]  25%  50.0/200.0 MB  10.0 MB/s  ETA 0:15"), line);
    }
}
