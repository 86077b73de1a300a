package dev.depthwise.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;

/**
 * The weight readers on any bytes: a state dict, or a {@link WeightFileException} naming the file in one line;
 * never another exception, never an allocation a few bytes can ask for. Three targets: safetensors (header and
 * offsets), a whole {@code .pth} file (zip and pickle), and the pickle alone inside an otherwise valid PyTorch
 * archive, so the fuzzer's mutations reach the unpickler instead of dying in the zip reader.
 *
 * <p>Jazzer rather than jqwik: coverage feedback finds the paths through our header and pickle handling that
 * random inputs would not. {@code mvn test} replays the committed corpus in {@code WeightFilesFuzzTestInputs/};
 * the README's "Bad input" section says how to fuzz longer.
 */
class WeightFilesFuzzTest {
    private static final Path DIR = tempDir();

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("depthwise-weights-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void removeFiles() throws IOException {
        try (var files = Files.list(DIR)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(DIR);
    }

    @FuzzTest(maxDuration = "30s")
    void anySafetensorsBytesLoadOrAreANamedBadFile(byte[] bytes) throws IOException {
        readsOrRefusesByName(Files.write(DIR.resolve("fuzzed.safetensors"), bytes), SafeTensors::read);
    }

    @FuzzTest(maxDuration = "30s")
    void anyPthBytesLoadOrAreANamedBadFile(byte[] bytes) throws IOException {
        readsOrRefusesByName(Files.write(DIR.resolve("fuzzed.pth"), bytes), PyTorchWeights::read);
    }

    @FuzzTest(maxDuration = "30s")
    void anyPickleInAStateDictZipLoadsOrIsANamedBadFile(byte[] pickle) throws IOException {
        Path file = DIR.resolve("pickle.pth");
        try (ZipFile template = new ZipFile(resource("io/tiny_state_dict.pth"));
             OutputStream raw = Files.newOutputStream(file);
             ZipOutputStream out = new ZipOutputStream(raw)) {
            for (ZipEntry e : Collections.list(template.entries())) {
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(e.getName().endsWith("/data.pkl") ? pickle : template.getInputStream(e).readAllBytes());
            }
        }
        readsOrRefusesByName(file, PyTorchWeights::read);
    }

    private interface Reader {
        Object read(Path file) throws IOException;
    }

    /** A file read, or refused with one line naming it; any other outcome is a finding. */
    private static void readsOrRefusesByName(Path file, Reader reader) throws IOException {
        try {
            reader.read(file);
        } catch (WeightFileException e) {
            oneLineNaming(file, e);
        }
    }

    private static java.io.File resource(String name) {
        try {
            return Path.of(WeightFilesFuzzTest.class.getResource("/" + name).toURI()).toFile();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void oneLineNaming(Path file, Exception e) {
        String message = e.getMessage();
        if (message == null || !message.startsWith(file + ": ") || message.contains("\n") || message.contains("\r")) {
            throw new AssertionError("not one line naming " + file + ": " + message, e);
        }
    }
}
