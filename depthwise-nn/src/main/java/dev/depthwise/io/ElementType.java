package dev.depthwise.io;

import java.nio.ByteBuffer;

/**
 * The element types we accept in weight files, each converted to float on reading. Names are the
 * safetensors dtype names; {@link #ofTorchStorage} maps PyTorch's storage classes to them. Integer
 * types are accepted because state dicts hold a few (BatchNorm's {@code num_batches_tracked} is int64).
 */
enum ElementType {
    F32(4), F16(2), BF16(2), F64(8), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    /** The element at byte position {@code pos} of {@code buf} (whose byte order is already set). */
    float read(ByteBuffer buf, int pos) {
        return switch (this) {
            case F32 -> buf.getFloat(pos);
            case F16 -> HalfFloats.fromHalf(buf.getShort(pos));
            case BF16 -> HalfFloats.fromBfloat16(buf.getShort(pos));
            case F64 -> (float) buf.getDouble(pos);
            case I64 -> (float) buf.getLong(pos);
            case I32 -> (float) buf.getInt(pos);
            case I16 -> buf.getShort(pos);
            case I8 -> buf.get(pos);
            case U8, BOOL -> buf.get(pos) & 0xff;
        };
    }

    /** The type for a safetensors dtype name, or null if we do not know it. */
    static ElementType ofSafetensors(String dtype) {
        for (ElementType t : values()) {
            if (t.name().equals(dtype)) {
                return t;
            }
        }
        return null;
    }

    /** The type for a PyTorch storage class name such as {@code FloatStorage}, or null. */
    static ElementType ofTorchStorage(String storageClass) {
        return switch (storageClass) {
            case "FloatStorage" -> F32;
            case "HalfStorage" -> F16;
            case "BFloat16Storage" -> BF16;
            case "DoubleStorage" -> F64;
            case "LongStorage" -> I64;
            case "IntStorage" -> I32;
            case "ShortStorage" -> I16;
            case "CharStorage" -> I8;
            case "ByteStorage" -> U8;
            case "BoolStorage" -> BOOL;
            default -> null;
        };
    }
}
