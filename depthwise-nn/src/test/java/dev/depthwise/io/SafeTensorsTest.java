package dev.depthwise.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.depthwise.engine.Tensor;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void writeThenReadKeepsValuesOrderAndMetadata() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("z.last.first", new Tensor(new float[] {1.5f, -2f, 3.25f, Float.MIN_VALUE, 1e30f, -0f}, 2, 3));
        tensors.put("a.scalar", new Tensor(new float[] {7f}));
        tensors.put("m.empty", Tensor.zeros(0, 4));
        Path file = dir.resolve("w.safetensors");

        SafeTensors.write(file, tensors, Map.of("epoch", "3"));
        SafeTensors.Contents read = SafeTensors.read(file);

        assertEquals(List.of("z.last.first", "a.scalar", "m.empty"), List.copyOf(read.tensors().keySet()));
        for (String name : tensors.keySet()) {
            assertArrayEquals(tensors.get(name).shape(), read.tensors().get(name).shape(), name);
            assertArrayEquals(tensors.get(name).data(), read.tensors().get(name).data(), name);
        }
        assertEquals(Map.of("epoch", "3"), read.metadata());
        assertEquals(0, (Files.size(file) - 8 - headerLength(file)) % 4);
        assertEquals(0, headerLength(file) % 8, "header padded so the data section is 8-byte aligned");
    }

    @Test
    void writtenFilesAreReadableByOthersAndADirectoryIsNeverReplaced() throws IOException {
        Path file = dir.resolve("r.safetensors");
        SafeTensors.write(file, Map.of("a", Tensor.full(1f, 3)), null);
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(file)), "checkpoints are shared like any output, not private");
        }
        Path folder = Files.createDirectories(dir.resolve("folder.safetensors"));
        IOException e = assertThrows(IOException.class, () -> SafeTensors.write(folder, Map.of("a", Tensor.full(1f, 3)), null));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        assertTrue(Files.isDirectory(folder));
    }

    @Test
    void overwriteLeavesNoTemporaryFiles() throws IOException {
        Path file = dir.resolve("w.safetensors");
        SafeTensors.write(file, Map.of("a", Tensor.full(1f, 3)), null);
        SafeTensors.write(file, Map.of("a", Tensor.full(2f, 3)), null);
        assertArrayEquals(new float[] {2f, 2f, 2f}, SafeTensors.read(file).tensors().get("a").data());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void failedWriteLeavesTheOldFileIntact() throws IOException {
        Path file = dir.resolve("w.safetensors");
        SafeTensors.write(file, Map.of("a", Tensor.full(1f, 3)), null);
        byte[] before = Files.readAllBytes(file);
        // Fails after the header is written to the temporary file, while the tensor data is being written.
        Map<String, Tensor> failing = new LinkedHashMap<>(Map.of("a", Tensor.full(2f, 3))) {
            @Override
            public java.util.Collection<Tensor> values() {
                throw new IllegalStateException("simulated crash while writing data");
            }
        };
        assertThrows(IllegalStateException.class, () -> SafeTensors.write(file, failing, null));
        assertArrayEquals(before, Files.readAllBytes(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "temporary file removed");
        }
    }

    @Test
    void readsFileWrittenByPythonScriptWithIntegers() throws IOException {
        SafeTensors.Contents read = SafeTensors.read(resource("golden/ops/maxpool.safetensors"));
        assertEquals(List.of("x", "out", "indices", "grad_out", "grad_x"), List.copyOf(read.tensors().keySet()));
        assertArrayEquals(new int[] {2, 3, 3, 4}, read.tensors().get("indices").shape());
        float[] indices = read.tensors().get("indices").data();
        for (float v : indices) {
            assertTrue(v >= 0 && v < 7 * 9 && v == Math.rint(v), "index " + v);
        }
        assertEquals("2", read.metadata().get("kernel"));
    }

    @Test
    void convertsHalfBfloatDoubleAndLong() throws IOException {
        Path file = dir.resolve("types.safetensors");
        ByteBuffer data = ByteBuffer.allocate(2 * 2 + 2 + 8 + 8).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) 0x3c00).putShort((short) 0xc100);   // F16 1.0, -2.5
        data.putShort((short) 0x4049);                           // BF16 3.140625
        data.putDouble(0.1);                                     // F64
        data.putLong(-42L);                                      // I64
        write(file, "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[6,14]},"
                + "\"l\":{\"dtype\":\"I64\",\"shape\":[1,1],\"data_offsets\":[14,22]}}", data.array());
        Map<String, Tensor> t = SafeTensors.read(file).tensors();
        assertArrayEquals(new float[] {1f, -2.5f}, t.get("h").data());
        assertArrayEquals(new float[] {3.140625f}, t.get("b").data());
        assertArrayEquals(new float[] {0.1f}, t.get("d").data());
        assertArrayEquals(new float[] {-42f}, t.get("l").data());
        assertArrayEquals(new int[] {1, 1}, t.get("l").shape());
    }

    @Test
    void halfFloatSpecialValues() {
        assertEquals(65504f, HalfFloats.fromHalf((short) 0x7bff));
        assertEquals(0x1p-24f, HalfFloats.fromHalf((short) 0x0001));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.fromHalf((short) 0xfc00));
        assertTrue(Float.isNaN(HalfFloats.fromHalf((short) 0x7e00)));
        assertEquals(-0f, HalfFloats.fromHalf((short) 0x8000));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(HalfFloats.fromHalf((short) 0x8000)));
    }

    @Test
    void truncatedFilesNameTheFile() throws IOException {
        Path good = dir.resolve("good.safetensors");
        SafeTensors.write(good, Map.of("a", Tensor.full(1f, 10)), Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(good);

        assertBadFile(Arrays.copyOf(bytes, 5), "truncated");
        assertBadFile(Arrays.copyOf(bytes, 8 + 10), "header length");
        assertBadFile(Arrays.copyOf(bytes, bytes.length - 4), "outside the data section");
    }

    @Test
    void badHeadersAreExplained() throws IOException {
        assertBadFile(withHeader("{not json", new byte[0]), "not valid JSON");
        assertBadFile(withHeader("[1,2]", new byte[0]), "not a JSON object");
        assertBadFile(withHeader("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]),
                "unsupported dtype F8_E4M3");
        assertBadFile(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]),
                "needs 12 bytes");
        assertBadFile(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[8]), "data_offsets");
        assertBadFile(withHeader("{\"__metadata__\":{\"n\":3}}", new byte[0]), "not a string");
        ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        assertBadFile(huge.array(), "header length");
    }

    @Test
    void missingFileOrDirectoryIsNamed() throws IOException {
        Path absent = dir.resolve("absent.safetensors");
        Path folder = Files.createDirectories(dir.resolve("folder.safetensors"));
        for (Path notAFile : new Path[] {absent, folder}) {
            IOException e = assertThrows(IOException.class, () -> SafeTensors.read(notAFile));
            assertTrue(e.getMessage().startsWith(notAFile.toString()), e.getMessage());
            IOException any = assertThrows(IOException.class, () -> WeightFiles.readStateDict(notAFile));
            assertTrue(any.getMessage().startsWith(notAFile.toString()), any.getMessage());
            IOException pth = assertThrows(IOException.class, () -> PyTorchWeights.read(notAFile));
            assertTrue(pth.getMessage().startsWith(notAFile.toString()), pth.getMessage());
        }
        assertTrue(assertThrows(IOException.class, () -> SafeTensors.read(folder)).getMessage().contains("is a directory"));
    }

    private void assertBadFile(byte[] content, String expectedProblem) throws IOException {
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, content);
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expectedProblem), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    private static byte[] withHeader(String json, byte[] data) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return buf.putLong(header.length).put(header).put(data).array();
    }

    private static void write(Path file, String json, byte[] data) throws IOException {
        Files.write(file, withHeader(json, data));
    }

    private static long headerLength(Path file) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** A test resource as a file path (resources live on disk under target/test-classes). */
    static Path resource(String name) {
        try {
            return Path.of(Objects.requireNonNull(SafeTensorsTest.class.getResource("/" + name), name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
