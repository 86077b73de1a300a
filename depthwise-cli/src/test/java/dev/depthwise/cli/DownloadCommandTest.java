package dev.depthwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.depthwise.data.SyntheticPets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloadCommandTest {
    @TempDir
    Path tmp;

    @Test
    void downloadsFromABaseUrlAndReportsAMissingArchive() throws Exception {
        Path source = tmp.resolve("source");
        SyntheticPets.generate(source, 4, 32, 2);
        byte[] images = tarGz(source, "images");
        byte[] annotations = tarGz(source, "annotations");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body = path.equals("/ok/images.tar.gz") ? images : path.equals("/ok/annotations.tar.gz") ? annotations : null;
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            Path target = tmp.resolve("pets");
            assertEquals(0, Main.commandLine().execute("download", target.toString(), "--base-url", base + "/ok/"));
            assertTrue(Files.isRegularFile(target.resolve("annotations/trainval.txt")));

            CliRun missing = CliRun.of("download", tmp.resolve("other").toString(), "--base-url", base + "/missing/");
            assertEquals(1, missing.exit());
            assertTrue(missing.err().contains("images.tar.gz: HTTP 404"), missing.err());
        } finally {
            server.stop(0);
        }
    }

    private static byte[] tarGz(Path root, String top) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes));
             Stream<Path> walk = Files.walk(root.resolve(top))) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
                tar.putArchiveEntry(new TarArchiveEntry(p.toFile(), root.relativize(p).toString().replace('\\', '/')));
                Files.copy(p, tar);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
