package dev.depthwise.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.HttpURLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Downloads and extracts the Oxford-IIIT Pet archives into a directory in the layout {@link OxfordPets} reads.
 *
 * <p>Per archive: skip it if already extracted (a marker file records that); otherwise download to
 * {@code NAME.part}, resuming a partial file with an HTTP Range request, check the size, rename, extract
 * (refusing entries that would land outside the directory), write the marker, and delete the archive.
 * So running it again after an interruption continues where it stopped, and after success does nothing.
 */
public final class PetDownload {
    /** Where torchvision's {@code OxfordIIITPet} downloads from. */
    public static final URI OFFICIAL_BASE = URI.create("https://www.robots.ox.ac.uk/~vgg/data/pets/data/");

    /** An archive to fetch; {@code expectedSize} &lt; 0 means "trust the server's Content-Length". */
    public record Archive(String name, long expectedSize) {
    }

    /** The official archives with their published sizes. */
    public static final List<Archive> OFFICIAL_ARCHIVES = List.of(
            new Archive("images.tar.gz", 791_918_971L),
            new Archive("annotations.tar.gz", 19_173_078L));

    private static final java.time.Duration DEFAULT_TIMEOUT = java.time.Duration.ofSeconds(60);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final URI base;
    private final List<Archive> archives;
    private final Path dir;
    private final PrintStream log;
    private final int timeoutMillis;

    /** {@code log} receives progress bars and status lines (standard error in the CLI); null for silence. */
    public PetDownload(URI base, List<Archive> archives, Path dir, PrintStream log) {
        this(base, archives, dir, log, DEFAULT_TIMEOUT);
    }

    /** @param timeout how long to wait to connect, and for each read of the answer, before giving up */
    public PetDownload(URI base, List<Archive> archives, Path dir, PrintStream log, java.time.Duration timeout) {
        String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!base.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || base.getHost() == null) {
            throw new IllegalArgumentException("download URL '" + base + "' is not an absolute http:// or https:// URL");
        }
        this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
        this.archives = List.copyOf(archives);
        this.dir = dir;
        this.log = log;
        this.timeoutMillis = Math.toIntExact(Math.max(1, timeout.toMillis()));
    }

    /** The official archives from the official site. */
    public static PetDownload official(Path dir, PrintStream log) {
        return new PetDownload(OFFICIAL_BASE, OFFICIAL_ARCHIVES, dir, log);
    }

    /** The official archive names from another server (a mirror, or a test); sizes come from Content-Length. */
    public static PetDownload mirror(URI base, Path dir, PrintStream log) {
        return new PetDownload(base, OFFICIAL_ARCHIVES.stream().map(a -> new Archive(a.name(), -1)).toList(), dir, log);
    }

    /** Fetches and extracts every archive not yet extracted. */
    public void run() throws IOException {
        Files.createDirectories(dir);
        for (Archive archive : archives) {
            Path marker = dir.resolve("." + archive.name() + ".extracted");
            if (Files.exists(marker)) {
                say(archive.name() + ": already downloaded and extracted");
                continue;
            }
            Path file = dir.resolve(archive.name());
            if (!Files.isRegularFile(file)) { // the archive gets its name only once its size has been checked
                download(archive, file);
            }
            int entries = extract(file);
            Files.writeString(marker, archive.name() + " extracted, " + entries + " entries\n");
            Files.delete(file);
            say(archive.name() + ": extracted " + entries + " entries into " + dir);
        }
    }

    private void download(Archive archive, Path file) throws IOException {
        Path part = dir.resolve(archive.name() + ".part");
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (archive.expectedSize() >= 0 && have > archive.expectedSize()) {
            Files.delete(part); // longer than the archive can be: not a prefix of it
            have = 0;
        }
        URI uri = base.resolve(archive.name());
        HttpURLConnection http = (HttpURLConnection) uri.toURL().openConnection();
        http.setConnectTimeout(timeoutMillis);
        http.setReadTimeout(timeoutMillis); // a stalled transfer fails (and can be resumed) instead of hanging
        if (have > 0) {
            http.setRequestProperty("Range", "bytes=" + have + "-");
        }
        try {
            int status;
            try {
                status = http.getResponseCode();
            } catch (java.net.SocketTimeoutException e) {
                // Both timeouts throw this class; only the message tells a server that never answered from one
                // that could not be reached.
                boolean connecting = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("connect");
                throw new IOException(uri + (connecting ? ": cannot connect (no connection within " + seconds(timeoutMillis) + ")"
                        : ": connected, but the server sent no answer within " + seconds(timeoutMillis)), e);
            } catch (java.net.ConnectException | java.net.UnknownHostException e) {
                // The JDK's messages ("Connection refused", a bare host name) do not say what was being fetched.
                throw new IOException(uri + ": cannot connect (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                        + ")", e);
            }
            long total;
            boolean append;
            if (status == 206) {
                String contentRange = String.valueOf(http.getHeaderField("Content-Range"));
                Matcher m = CONTENT_RANGE.matcher(contentRange);
                if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                    throw new IOException(uri + ": server answered the resume request (from byte " + have
                            + ") with Content-Range '" + contentRange + "'");
                }
                total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
                append = true;
                say(archive.name() + ": resuming from " + have + " bytes");
            } else if (status == 200) {
                total = http.getContentLengthLong();
                append = false; // the whole file: we made no Range request, or the server ignored it
                have = 0;
            } else if (status == 416 && have > 0 && have == archive.expectedSize()) {
                total = have; // the part file is already whole
                append = true;
            } else if (status == 416 && have > 0) {
                // The server will not resume from here (the file changed, or the part is already whole but we
                // cannot tell without a known size): start again from zero.
                say(archive.name() + ": the server refused to resume; starting again");
                Files.delete(part);
                http.disconnect();
                download(archive, file);
                return;
            } else {
                throw new IOException(uri + ": HTTP " + status);
            }
            long expected = archive.expectedSize() >= 0 ? archive.expectedSize() : total;
            if (expected < 0) {
                throw new IOException(uri + ": the server gives no size (no Content-Length) and none is known to check against");
            }
            if (total >= 0 && total != expected) {
                throw new IOException(uri + ": size mismatch: server reports " + total + " bytes, expected " + expected);
            }
            try (InputStream body = status == 416 ? InputStream.nullInputStream() : http.getInputStream()) {
                copy(body, part, append, have, expected, archive.name());
            }
        } finally {
            http.disconnect();
        }
        Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String seconds(int millis) {
        return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    /** Appends the body to the part file until {@code expected} bytes are there; a short body is a lost connection. */
    private void copy(InputStream body, Path part, boolean append, long have, long expected, String label) throws IOException {
        ProgressBar bar = new ProgressBar(log, label, expected, have);
        long received = have;
        byte[] buffer = new byte[1 << 16];
        IOException failure = null;
        try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            int n;
            while ((n = body.read(buffer)) > 0) {
                if (received + n > expected) {
                    throw new IOException(label + ": size mismatch: more than the expected " + expected + " bytes arrived");
                }
                out.write(buffer, 0, n);
                received += n;
                bar.update(received);
            }
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("size mismatch")) {
                throw e;
            }
            failure = e;
        }
        if (received < expected) {
            if (log != null) {
                log.println();
            }
            throw new IOException(label + ": connection lost after " + received + " of " + expected + " bytes"
                    + (failure != null ? " (" + failure.getMessage() + ")" : "") + "; run the download again to resume", failure);
        }
        bar.finish(received);
    }

    /** Extracts a .tar.gz into {@link #dir}; returns the number of entries. */
    private int extract(Path archive) throws IOException {
        say("extracting " + archive.getFileName() + " ...");
        Path root = dir.toAbsolutePath().normalize();
        int entries = 0;
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new GzipCompressorInputStream(new BufferedInputStream(Files.newInputStream(archive), 1 << 16)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path target = root.resolve(entry.getName()).normalize();
                if (!target.startsWith(root)) {
                    throw new IOException(archive + ": entry '" + entry.getName() + "' would be written outside " + root);
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                } else if (entry.isFile()) {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    continue; // links and devices have no place in a dataset
                }
                entries++;
            }
        } catch (IOException e) {
            throw new IOException(archive + ": cannot extract (" + e.getMessage() + "); delete it and download again", e);
        }
        return entries;
    }

    private void say(String line) {
        if (log != null) {
            log.println(line);
        }
    }
}
