package dev.depthwise.io;

import static dev.depthwise.io.SafeTensorsTest.resource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.depthwise.engine.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints written by torch.save in scripts/golden/make_golden.py, against the tensors it expects. */
class PyTorchWeightsTest {
    @TempDir
    Path dir;

    @Test
    void readsEveryLayoutAndTypeExactly() throws IOException {
        assertMatchesExpected(PyTorchWeights.read(resource("io/tiny_state_dict.pth")));
    }

    @Test
    void acceptsWeightsUnderStateDictOrModel() throws IOException {
        assertMatchesExpected(PyTorchWeights.read(resource("io/tiny_checkpoint_state_dict.pth")));
        assertMatchesExpected(PyTorchWeights.read(resource("io/tiny_checkpoint_model.pth")));
    }

    @Test
    void readsTorchvisionStateDictWithMetadataInOrder() throws IOException {
        Map<String, Tensor> state = PyTorchWeights.read(resource("golden/mobilenet_v2_w035.pth"));
        List<String> names = List.copyOf(state.keySet());
        assertEquals("features.0.0.weight", names.get(0));
        assertEquals("classifier.1.bias", names.get(names.size() - 1));
        assertArrayEquals(new int[] {16, 3, 3, 3}, state.get("features.0.0.weight").shape());
        assertArrayEquals(new int[] {10}, state.get("classifier.1.bias").shape());
        assertArrayEquals(new int[0], state.get("features.0.1.num_batches_tracked").shape());
    }

    private static void assertMatchesExpected(Map<String, Tensor> actual) throws IOException {
        Map<String, Tensor> expected = SafeTensors.read(resource("io/tiny_expected.safetensors")).tensors();
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name).shape(), actual.get(name).shape(), name);
            assertArrayEquals(expected.get(name).data(), actual.get(name).data(), name);
        }
        assertEquals(7f, actual.get("bn.num_batches_tracked").data()[0]);
    }

    @Test
    void honoursBigEndianByteOrderEntry() throws IOException {
        // The same checkpoint as a big-endian machine would write it (PyTorch >= 2.1 records the byte order).
        Path original = resource("io/tiny_state_dict.pth");
        int[] elementBytes = {4, 2, 2, 8, 4, 4, 8}; // storages 0..6: float, half, bfloat16, double, float, float, int64
        Path big = original;
        for (int key = 0; key < elementBytes.length; key++) {
            String entry = "tiny_state_dict/data/" + key;
            big = rewrite(big, entry, swapBytes(entry(original, entry), elementBytes[key]));
        }
        big = rewrite(big, "tiny_state_dict/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        assertMatchesExpected(PyTorchWeights.read(big));
        assertProblem(rewrite(original, "tiny_state_dict/byteorder", "middle".getBytes(StandardCharsets.US_ASCII)),
                "byteorder");
    }

    private static byte[] entry(Path zipFile, String name) throws IOException {
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(zipFile.toFile())) {
            return zip.getInputStream(zip.getEntry(name)).readAllBytes();
        }
    }

    private static byte[] swapBytes(byte[] data, int elementBytes) {
        byte[] out = new byte[data.length];
        for (int i = 0; i < data.length; i += elementBytes) {
            for (int b = 0; b < elementBytes; b++) {
                out[i + b] = data[i + elementBytes - 1 - b];
            }
        }
        return out;
    }

    @Test
    void legacyFormatIsRefusedWithAdvice() {
        assertProblem(resource("io/tiny_legacy.pth"), "legacy (pre-1.6, non-zip)");
    }

    @Test
    void foreignFileIsRefused() throws IOException {
        Path file = dir.resolve("photo.pth");
        Files.write(file, new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 0, 1, 2});
        assertProblem(file, "not a PyTorch checkpoint");
        Path empty = dir.resolve("empty.pth");
        Files.write(empty, new byte[0]);
        assertProblem(empty, "not a PyTorch checkpoint");
    }

    @Test
    void truncatedZipIsRefused() throws IOException {
        byte[] bytes = Files.readAllBytes(resource("io/tiny_state_dict.pth"));
        Path file = dir.resolve("cut.pth");
        Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));
        assertProblem(file, "truncated");
    }

    @Test
    void zipWithoutDataPklIsRefused() throws IOException {
        Path file = dir.resolve("other.pth");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            zip.putNextEntry(new ZipEntry("archive/readme.txt"));
            zip.write("hello".getBytes(StandardCharsets.UTF_8));
        }
        assertProblem(file, "no ARCHIVE/data.pkl");
    }

    @Test
    void missingOrShortStorageIsRefused() throws IOException {
        Path original = resource("io/tiny_state_dict.pth");
        assertProblem(rewrite(original, "tiny_state_dict/data/0", null), "is missing");
        assertProblem(rewrite(original, "tiny_state_dict/data/0", new byte[8]), "has 8 bytes; expected 72");
    }

    @Test
    void pickleOfSomethingElseIsRefused() throws IOException {
        Path original = resource("io/tiny_state_dict.pth");
        // Protocol 2 pickle of the list [1]: a zip in the right shape holding the wrong object.
        byte[] list = {(byte) 0x80, 2, ']', 'q', 0, 'K', 1, 'a', '.'};
        assertProblem(rewrite(original, "tiny_state_dict/data.pkl", list), "expected a state dict");
        assertProblem(rewrite(original, "tiny_state_dict/data.pkl", new byte[] {(byte) 0x80, 2, 'K'}), "data.pkl");
    }

    @Test
    void aPickleNamingAnyOtherGlobalIsRefusedByName() throws IOException {
        Path original = resource("io/tiny_state_dict.pth");
        // pickle.dumps of a __reduce__ that calls os.system("ls"), protocol 2 (GLOBAL) and 4 (STACK_GLOBAL).
        byte[] global = {(byte) 0x80, 2, 'c', 'o', 's', '\n', 's', 'y', 's', 't', 'e', 'm', '\n', 'X', 2, 0, 0, 0, 'l', 's',
                (byte) 0x85, 'R', '.'};
        byte[] stackGlobal = {(byte) 0x80, 4, (byte) 0x8c, 5, 'p', 'o', 's', 'i', 'x', (byte) 0x8c, 6, 's', 'y', 's', 't',
                'e', 'm', (byte) 0x93, (byte) 0x8c, 2, 'l', 's', (byte) 0x85, 'R', '.'};
        byte[] inst = {(byte) 0x80, 1, '(', 'X', 2, 0, 0, 0, 'l', 's', 'i', 'o', 's', '\n', 's', 'y', 's', 't', 'e', 'm', '\n', '.'};
        assertProblem(rewrite(original, "tiny_state_dict/data.pkl", global), "data.pkl refuses the global os.system: ");
        assertProblem(rewrite(original, "tiny_state_dict/data.pkl", stackGlobal), "data.pkl refuses the global posix.system: ");
        assertProblem(rewrite(original, "tiny_state_dict/data.pkl", inst), "data.pkl refuses the global os.system: ");
        // A 9-byte pickle asking for a 2 GB string is refused before anything is allocated.
        byte[] huge = {(byte) 0x80, 2, 'B', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 'x', '.'};
        assertProblem(rewrite(original, "tiny_state_dict/data.pkl", huge), "a string of 2147483647 bytes where 2 remain");
    }

    /**
     * A copy of {@code original} with one entry replaced (or dropped when {@code content} is null), or
     * added at the end when it was not there.
     */
    private Path rewrite(Path original, String entryName, byte[] content) throws IOException {
        Path copy = dir.resolve("edited-" + System.nanoTime() + ".pth");
        boolean replaced = false;
        try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(original.toFile());
                OutputStream raw = Files.newOutputStream(copy);
                ZipOutputStream out = new ZipOutputStream(raw)) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                byte[] data = in.getInputStream(e).readAllBytes();
                if (e.getName().equals(entryName)) {
                    replaced = true;
                    if (content == null) {
                        continue;
                    }
                    data = content;
                }
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(data);
            }
            if (!replaced && content != null) {
                out.putNextEntry(new ZipEntry(entryName));
                out.write(content);
            }
        }
        return copy;
    }

    private static void assertProblem(Path file, String expected) {
        WeightFileException e = assertThrows(WeightFileException.class, () -> PyTorchWeights.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
