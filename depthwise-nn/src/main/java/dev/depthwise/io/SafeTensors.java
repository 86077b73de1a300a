package dev.depthwise.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.depthwise.engine.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}}, then the
 * raw little-endian tensor bytes, offsets counted from the end of the header.
 *
 * <p>Reading accepts F32 and converts F16, BF16, F64 and the integer types to float. Writing always
 * writes F32, atomically: a crash mid-write leaves the old file (or none), never a broken one.
 */
public final class SafeTensors {
    /** The header and the tensor names, in file order, with the free-form string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    private static final String METADATA_KEY = "__metadata__";
    /** The reference implementation refuses headers above 100 MB; so do we, before allocating them. */
    private static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {
    }

    public static Contents read(Path file) throws IOException {
        WeightFileException.requireRegularFile(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new WeightFileException(file, "truncated safetensors file: " + fileSize
                        + " bytes, expected at least the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 2 || headerLength > fileSize - 8 || headerLength > MAX_HEADER_BYTES) {
                throw new WeightFileException(file, "safetensors header length " + Long.toUnsignedString(headerLength)
                        + " does not fit in a file of " + fileSize + " bytes (truncated, or not a safetensors file)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            JsonNode header = parseHeader(file, headerBytes.array());

            long dataStart = 8 + headerLength;
            long dataLength = fileSize - dataStart;
            if (dataLength > Integer.MAX_VALUE) {
                throw new WeightFileException(file, "data section of " + dataLength + " bytes is larger than 2 GB");
            }
            ByteBuffer data = channel.map(FileChannel.MapMode.READ_ONLY, dataStart, dataLength)
                    .order(ByteOrder.LITTLE_ENDIAN);

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                if (entry.getKey().equals(METADATA_KEY)) {
                    readMetadata(file, entry.getValue(), metadata);
                } else {
                    tensors.put(entry.getKey(), readTensor(file, entry.getKey(), entry.getValue(), data));
                }
            }
            return new Contents(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = channel.read(buf, position + buf.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static JsonNode parseHeader(Path file, byte[] bytes) throws WeightFileException {
        JsonNode header;
        try {
            header = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new WeightFileException(file, "safetensors header is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (header == null || !header.isObject()) {
            throw new WeightFileException(file, "safetensors header is not a JSON object");
        }
        return header;
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> into) throws WeightFileException {
        if (!node.isObject()) {
            throw new WeightFileException(file, METADATA_KEY + " is not a JSON object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new WeightFileException(file, METADATA_KEY + " value of '" + e.getKey() + "' is not a string");
            }
            into.put(e.getKey(), e.getValue().asText());
        }
    }

    private static Tensor readTensor(Path file, String name, JsonNode info, ByteBuffer data)
            throws WeightFileException {
        String where = "tensor '" + name + "'";
        if (!info.isObject() || !info.path("dtype").isTextual() || !info.path("shape").isArray()
                || !info.path("data_offsets").isArray() || info.get("data_offsets").size() != 2) {
            throw new WeightFileException(file, where + " needs dtype, shape and data_offsets [begin, end]; got " + info);
        }
        ElementType type = ElementType.ofSafetensors(info.get("dtype").asText());
        if (type == null) {
            throw new WeightFileException(file, where + " has unsupported dtype " + info.get("dtype").asText());
        }
        int[] shape = new int[info.get("shape").size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = info.get("shape").get(i);
            if (!d.canConvertToInt() || d.asInt() < 0) {
                throw new WeightFileException(file, where + " has a bad shape " + info.get("shape"));
            }
            shape[i] = d.asInt();
            count *= shape[i];
            if (count > Integer.MAX_VALUE - 8) {
                throw new WeightFileException(file, where + " of shape " + info.get("shape")
                        + " has more elements than one Java array can hold");
            }
        }
        long begin = info.get("data_offsets").get(0).asLong(-1);
        long end = info.get("data_offsets").get(1).asLong(-1);
        if (begin < 0 || end < begin || end > data.capacity()) {
            throw new WeightFileException(file, where + " has data_offsets [" + begin + ", " + end
                    + "] outside the data section of " + data.capacity() + " bytes (truncated file?)");
        }
        if (end - begin != count * type.bytes) {
            throw new WeightFileException(file, where + " of shape " + Tensor.shapeString(shape) + " and dtype "
                    + type + " needs " + count * type.bytes + " bytes but data_offsets span " + (end - begin));
        }
        float[] values = new float[(int) count];
        if (type == ElementType.F32) {
            data.slice((int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        } else {
            for (int i = 0; i < values.length; i++) {
                values[i] = type.read(data, (int) begin + i * type.bytes);
            }
        }
        return new Tensor(values, shape);
    }

    /** Writes {@code tensors} as F32 in map order, with optional string metadata, atomically. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals(METADATA_KEY)) {
                throw new IllegalArgumentException(file + ": a tensor may not be named " + METADATA_KEY);
            }
            ObjectNode info = header.putObject(e.getKey());
            info.put("dtype", "F32");
            ArrayNode shape = info.putArray("shape");
            for (int d : e.getValue().shape()) {
                shape.add(d);
            }
            long bytes = 4L * e.getValue().size();
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] headerBytes = headerBytes(header);

        AtomicFiles.write(file, out -> {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, headerBytes.length).array());
            out.write(headerBytes);
            for (Tensor t : tensors.values()) {
                ByteBuffer buf = ByteBuffer.allocate(4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(t.data());
                out.write(buf.array());
            }
        });
    }

    /** The header JSON, padded with spaces to a multiple of 8 bytes so the data section stays aligned. */
    private static byte[] headerBytes(ObjectNode header) {
        String json;
        try {
            json = JSON.writeValueAsString(header);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a header of strings and numbers", e);
        }
        byte[] raw = json.getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(raw, 0, out, 0, raw.length);
        for (int i = raw.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

}
