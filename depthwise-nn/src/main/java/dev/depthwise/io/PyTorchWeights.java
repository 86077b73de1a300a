package dev.depthwise.io;

import dev.depthwise.engine.Tensor;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Reads a PyTorch state dict saved by {@code torch.save} in the zip format of PyTorch 1.6 and later
 * ({@code .pth}/{@code .pt}): {@code ARCHIVE/data.pkl} (a pickle whose tensors point to storages by
 * persistent id), {@code ARCHIVE/data/KEY} (each storage's raw bytes) and, since PyTorch 2.1,
 * {@code ARCHIVE/byteorder}.
 *
 * <p>Tensors of any layout (storage offsets, shared storages, non-contiguous strides) are copied into
 * dense row-major float tensors; float16, bfloat16, float64 and the integer types are converted to float.
 * A checkpoint dict that keeps its weights under {@code "state_dict"} or {@code "model"} is accepted.
 * The pickle is unpickled with {@code net.razorvine:pickle}, which builds only the plain objects we
 * register constructors for: reading a file never runs code from it.
 */
public final class PyTorchWeights {
    private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};
    private static final int PICKLE_PROTO = 0x80;

    /**
     * The only globals a state dict's pickle may name, as PyTorch's {@code weights_only} loader allows only its
     * own: anything else (os.system, builtins.eval, ...) is refused by name before it is looked up.
     */
    private static final Map<String, IObjectConstructor> GLOBALS = new LinkedHashMap<>();

    static {
        GLOBALS.put("collections.OrderedDict", args -> new OrderedDict());
        GLOBALS.put("torch._utils._rebuild_tensor_v2", TensorRef::fromRebuildArgs);
        // nn.Parameter objects (whole-model pickles) carry their tensor as the first argument.
        IObjectConstructor parameter = args -> args[0];
        GLOBALS.put("torch._utils._rebuild_parameter", parameter);
        GLOBALS.put("torch._utils._rebuild_parameter_with_state", parameter);
        for (String storage : new String[] {"FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage",
                "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage"}) {
            GLOBALS.put("torch." + storage, new StorageType(ElementType.ofTorchStorage(storage)));
        }
    }

    private PyTorchWeights() {
    }

    /** The state dict in file order: parameter and buffer names to dense float tensors. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        WeightFileException.requireRegularFile(file);
        checkZipMagic(file);
        try (ZipFile zip = openZip(file)) {
            String prefix = archivePrefix(file, zip);
            ByteOrder order = byteOrder(file, zip, prefix);
            Object root = unpickle(file, zip, entry(file, zip, prefix + "data.pkl"));
            Map<?, ?> stateDict = stateDictOf(file, root);

            Map<String, ByteBuffer> storages = new HashMap<>();
            Map<String, ElementType> storageTypes = new HashMap<>();
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : stateDict.entrySet()) {
                if (e.getValue() instanceof TensorRef ref) {
                    String name = String.valueOf(e.getKey());
                    String key = ref.storage().key();
                    ElementType type = storageTypes.putIfAbsent(key, ref.storage().type());
                    if (type != null && type != ref.storage().type()) {
                        throw new WeightFileException(file, "tensor '" + name + "' reads storage " + key + " as "
                                + ref.storage().type() + ", which an earlier tensor reads as " + type);
                    }
                    ByteBuffer storage = storages.get(key);
                    if (storage == null) {
                        storage = readStorage(file, zip, prefix, ref.storage(), order);
                        storages.put(key, storage);
                    }
                    tensors.put(name, ref.materialise(file, name, storage));
                }
            }
            if (tensors.isEmpty()) {
                throw new WeightFileException(file, "holds no tensors; expected a state dict (name -> tensor), "
                        + "at the top level or under \"state_dict\" or \"model\"");
            }
            return Collections.unmodifiableMap(tensors);
        }
    }

    private static void checkZipMagic(Path file) throws IOException {
        byte[] head = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, 4);
        }
        if (n == 4 && Arrays.equals(head, ZIP_MAGIC)) {
            return;
        }
        if (n > 0 && (head[0] & 0xff) == PICKLE_PROTO) {
            throw new WeightFileException(file, "is a legacy (pre-1.6, non-zip) PyTorch file; expected the zip "
                    + "format: load and re-save it with torch.save(obj, path) in PyTorch >= 1.6");
        }
        throw new WeightFileException(file, "is not a PyTorch checkpoint; expected a zip archive (PyTorch >= 1.6 "
                + "torch.save format) starting with 'PK'");
    }

    private static ZipFile openZip(Path file) throws IOException {
        try {
            return new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new WeightFileException(file, "is not a complete zip archive (truncated?); expected a PyTorch "
                    + ">= 1.6 checkpoint: " + e.getMessage(), e);
        }
    }

    /** The archive's top folder (named after the file it was first saved as), with its slash. */
    private static String archivePrefix(Path file, ZipFile zip) throws WeightFileException {
        List<? extends ZipEntry> entries;
        try {
            entries = Collections.list(zip.entries());
        } catch (IllegalArgumentException e) {
            throw badEntryName(file, e);
        }
        for (ZipEntry entry : entries) {
            String name = entry.getName();
            if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                return name.substring(0, name.length() - "data.pkl".length());
            }
        }
        throw new WeightFileException(file, "has no ARCHIVE/data.pkl entry; expected a PyTorch >= 1.6 torch.save "
                + "zip archive (a TorchScript or other zip file is not a state dict)");
    }

    private static ByteOrder byteOrder(Path file, ZipFile zip, String prefix) throws IOException {
        ZipEntry entry = entry(file, zip, prefix + "byteorder");
        if (entry == null) {
            return ByteOrder.LITTLE_ENDIAN; // files before PyTorch 2.1 were always written little-endian
        }
        String order = new String(readEntry(file, zip, entry, "byteorder"), StandardCharsets.US_ASCII).trim();
        return switch (order) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw new WeightFileException(file, "byteorder entry says '" + order + "'; expected little or big");
        };
    }

    private static Object unpickle(Path file, ZipFile zip, ZipEntry entry) throws IOException {
        byte[] pickle = readEntry(file, zip, entry, "data.pkl");
        try {
            return new TorchUnpickler().load(new ByteArrayInputStream(pickle));
        } catch (UnsafeGlobalException e) {
            throw new WeightFileException(file, "data.pkl " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // The unpickler meets bytes from outside: whatever it throws on them says the pickle is malformed.
            throw new WeightFileException(file, "data.pkl is not a PyTorch state dict pickle: " + e, e);
        } catch (IOException e) {
            throw new WeightFileException(file, "data.pkl ends early or is not a pickle: " + e.getMessage(), e);
        }
    }

    /** The entry of that name, or null. */
    private static ZipEntry entry(Path file, ZipFile zip, String name) throws WeightFileException {
        try {
            return zip.getEntry(name);
        } catch (IllegalArgumentException e) {
            throw badEntryName(file, e);
        }
    }

    /** The JDK's zip reader throws IllegalArgumentException on an entry name that is not valid UTF-8. */
    private static WeightFileException badEntryName(Path file, IllegalArgumentException e) {
        return new WeightFileException(file, "has a zip entry name that is not valid UTF-8 (a corrupt archive): "
                + e.getMessage(), e);
    }

    /**
     * An entry's bytes. An entry whose data runs past the end of the file (a cut-short download) ends in
     * EOFException, a damaged one in ZipException: both make the file a named bad file.
     */
    private static byte[] readEntry(Path file, ZipFile zip, ZipEntry entry, String what) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            return in.readAllBytes();
        } catch (ZipException | EOFException e) {
            throw new WeightFileException(file, what + " is cut short or corrupt in the zip archive: " + e, e);
        }
    }

    private static Map<?, ?> stateDictOf(Path file, Object root) throws WeightFileException {
        if (!(root instanceof Map<?, ?> map)) {
            throw new WeightFileException(file, "holds a " + describe(root) + "; expected a state dict (name -> tensor)");
        }
        for (String key : new String[] {"state_dict", "model"}) {
            if (map.get(key) instanceof Map<?, ?> inner) {
                return inner;
            }
        }
        return map;
    }

    private static String describe(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    private static ByteBuffer readStorage(Path file, ZipFile zip, String prefix, StorageRef storage, ByteOrder order)
            throws IOException {
        String name = prefix + "data/" + storage.key();
        ZipEntry entry = entry(file, zip, name);
        if (entry == null) {
            throw new WeightFileException(file, "storage " + name + " referenced by data.pkl is missing from the archive");
        }
        long expected = storage.numel() * storage.type().bytes;
        byte[] bytes = readEntry(file, zip, entry, "storage " + name);
        if (bytes.length < expected) {
            throw new WeightFileException(file, "storage " + name + " has " + bytes.length + " bytes; expected "
                    + expected + " (" + storage.numel() + " x " + storage.type() + ")");
        }
        return ByteBuffer.wrap(bytes).order(order);
    }

    /**
     * The unpickler that turns PyTorch's persistent ids ('storage', type, key, location, numel) into refs,
     * and keeps dicts in file order (the library's own SETITEMS goes through a HashMap and loses it).
     */
    private static final class TorchUnpickler extends Unpickler {
        @Override
        protected Object dispatch(short opcode) throws IOException {
            if (opcode == Opcodes.GLOBAL) {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                stack.add(allowedGlobal(module, name));
                return NO_RETURN_VALUE;
            }
            if (opcode == Opcodes.INST) {
                IObjectConstructor constructor = allowedGlobal(PickleUtils.readline(input), PickleUtils.readline(input));
                stack.add(constructor.construct(stack.pop_all_since_marker().toArray()));
                return NO_RETURN_VALUE;
            }
            if (opcode == Opcodes.STACK_GLOBAL) {
                Object name = stack.pop();
                Object module = stack.pop();
                if (!(module instanceof String m) || !(name instanceof String n)) {
                    throw new PickleException("STACK_GLOBAL needs two strings, got " + describe(module) + " and "
                            + describe(name));
                }
                stack.add(allowedGlobal(m, n));
                return NO_RETURN_VALUE;
            }
            checkLength(opcode);
            if (opcode == Opcodes.EMPTY_DICT) {
                stack.add(new OrderedDict());
                return NO_RETURN_VALUE;
            }
            if (opcode == Opcodes.SETITEMS) {
                List<Object> items = stack.pop_all_since_marker();
                @SuppressWarnings("unchecked")
                Map<Object, Object> dict = (Map<Object, Object>) stack.peek();
                for (int i = 0; i + 1 < items.size(); i += 2) {
                    dict.put(items.get(i), items.get(i + 1));
                }
                return NO_RETURN_VALUE;
            }
            return super.dispatch(opcode);
        }

        /**
         * A length-prefixed string or bytes opcode whose length exceeds what is left: refused before the
         * unpickler allocates an array of that length (a 30-byte pickle could ask for 2 GB).
         */
        private void checkLength(short opcode) throws IOException {
            int width = switch (opcode) {
                case Opcodes.BINSTRING, Opcodes.BINBYTES, Opcodes.BINUNICODE -> 4;
                case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> 8;
                default -> 0;
            };
            if (width == 0) {
                return;
            }
            input.mark(width);
            byte[] bytes = input.readNBytes(width);
            input.reset();
            long length = 0;
            for (int i = bytes.length - 1; i >= 0; i--) {
                length = length << 8 | (bytes[i] & 0xff);
            }
            if (bytes.length < width || length < 0 || length > input.available() - width) {
                throw new PickleException("a string of " + Long.toUnsignedString(length) + " bytes where "
                        + Math.max(0, input.available() - width) + " remain (truncated or corrupt)");
            }
        }

        private static IObjectConstructor allowedGlobal(String module, String name) {
            IObjectConstructor constructor = GLOBALS.get(module + "." + name);
            if (constructor == null) {
                throw new UnsafeGlobalException(module + "." + name);
            }
            return constructor;
        }

        @Override
        protected Object persistentLoad(Object pid) {
            if (pid instanceof Object[] t && t.length >= 5 && "storage".equals(t[0]) && t[1] instanceof StorageType type) {
                return new StorageRef(type.type(), String.valueOf(t[2]), ((Number) t[4]).longValue());
            }
            throw new PickleException("unsupported persistent id " + (pid instanceof Object[] t ? Arrays.toString(t) : pid));
        }
    }

    /** A pickle naming a global outside {@link #GLOBALS}. */
    private static final class UnsafeGlobalException extends PickleException {
        UnsafeGlobalException(String global) {
            super("refuses the global " + global + ": a state dict's pickle may name only collections.OrderedDict and "
                    + "PyTorch's tensor, parameter and storage rebuilders (any other global can run code when Python "
                    + "loads the file; PyTorch's torch.load(weights_only=True) refuses it too)");
        }
    }

    /** The value a {@code torch.FloatStorage}-like global unpickles to: just its element type. */
    private record StorageType(ElementType type) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("storage classes are only expected inside persistent ids");
        }
    }

    private record StorageRef(ElementType type, String key, long numel) {
    }

    /** A tensor as {@code _rebuild_tensor_v2} describes it, before its storage is read. */
    private record TensorRef(StorageRef storage, long offset, int[] size, long[] stride) {
        static TensorRef fromRebuildArgs(Object[] args) {
            if (args.length < 4 || !(args[0] instanceof StorageRef storage)) {
                throw new PickleException("_rebuild_tensor_v2 without a storage: " + Arrays.toString(args));
            }
            Object[] size = (Object[]) args[2];
            Object[] stride = (Object[]) args[3];
            if (size.length != stride.length) {
                throw new PickleException("tensor size " + Arrays.toString(size) + " and stride "
                        + Arrays.toString(stride) + " differ in rank");
            }
            int[] shape = new int[size.length];
            long[] strides = new long[size.length];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = Math.toIntExact(((Number) size[i]).longValue());
                strides[i] = ((Number) stride[i]).longValue();
            }
            return new TensorRef(storage, ((Number) args[1]).longValue(), shape, strides);
        }

        Tensor materialise(Path file, String name, ByteBuffer bytes) throws WeightFileException {
            // The lowest and highest storage positions the tensor reads: strides may be negative or zero, and
            // every product is checked, since a hostile file may give any sizes.
            long count = 1;
            long lowest = offset, highest = offset;
            boolean fits;
            try {
                for (int i = 0; i < size.length; i++) {
                    if (size[i] < 0) {
                        throw new WeightFileException(file, "tensor '" + name + "' has a negative size "
                                + Arrays.toString(size));
                    }
                    count = Math.multiplyExact(count, size[i]);
                    long reach = Math.multiplyExact(Math.max(0, size[i] - 1L), stride[i]);
                    lowest = Math.addExact(lowest, Math.min(0, reach));
                    highest = Math.addExact(highest, Math.max(0, reach));
                }
                // Within the bytes read: a storage shared by several tensors was read for the first one's size.
                fits = lowest >= 0 && highest < Math.min(storage.numel(), bytes.capacity() / storage.type().bytes);
            } catch (ArithmeticException e) {
                fits = false;
            }
            if (count > 0 && !fits) {
                throw new WeightFileException(file, "tensor '" + name + "' of shape " + Tensor.shapeString(size)
                        + " (offset " + offset + ", stride " + Arrays.toString(stride) + ") reaches outside its storage of "
                        + storage.numel() + " elements");
            }
            if (count > Integer.MAX_VALUE - 8) {
                throw new WeightFileException(file, "tensor '" + name + "' has " + count + " elements, too many for Java");
            }
            float[] values = new float[(int) count];
            ElementType type = storage.type();
            if (isRowMajor() && type == ElementType.F32) {
                bytes.slice(Math.toIntExact(offset * 4), values.length * 4).order(bytes.order()).asFloatBuffer().get(values);
            } else {
                copyStrided(bytes, type, values);
            }
            return new Tensor(values, size);
        }

        private boolean isRowMajor() {
            long expected = 1;
            for (int i = size.length - 1; i >= 0; i--) {
                if (size[i] != 1 && stride[i] != expected) {
                    return false;
                }
                expected *= size[i];
            }
            return true;
        }

        /** Walks the tensor in row-major order, following its strides through the storage. */
        private void copyStrided(ByteBuffer bytes, ElementType type, float[] values) {
            int rank = size.length;
            int[] index = new int[rank];
            long position = offset;
            for (int i = 0; i < values.length; i++) {
                values[i] = type.read(bytes, Math.toIntExact(position * type.bytes));
                for (int axis = rank - 1; axis >= 0; axis--) {
                    if (++index[axis] < size[axis]) {
                        position += stride[axis];
                        break;
                    }
                    position -= (size[axis] - 1L) * stride[axis];
                    index[axis] = 0;
                }
            }
        }
    }

    /**
     * What {@code collections.OrderedDict} unpickles to: an insertion-ordered map. Public only because the
     * unpickler sets PyTorch's {@code _metadata} attribute by reflection, through {@link #__setstate__}.
     */
    public static final class OrderedDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;

        /** PyTorch's per-module version metadata ({@code _metadata}); we do not need it. */
        public void __setstate__(HashMap<?, ?> state) {
            // ignored on purpose
        }

        /** The same, when the state dict was itself unpickled by us in order. */
        public void __setstate__(OrderedDict state) {
            // ignored on purpose
        }
    }
}
