package dev.depthwise.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.depthwise.engine.Tensor;
import dev.depthwise.io.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * One golden file written by {@code scripts/golden/make_golden.py}: the tensors PyTorch used and
 * produced, and the comparison every golden test uses.
 *
 * <p>Tolerance: {@code |actual - expected| <= 1e-5 + 1e-4 * |expected|} for every element. The references
 * are computed by PyTorch in float64 from the same float32 inputs, so this bounds our float32 error.
 */
final class Golden {
    static final double ABSOLUTE = 1e-5;
    static final double RELATIVE = 1e-4;

    private final String name;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private Golden(String name, SafeTensors.Contents contents) {
        this.name = name;
        this.tensors = contents.tensors();
        this.metadata = contents.metadata();
    }

    /** {@code golden/<name>.safetensors} from the test resources. */
    static Golden load(String name) {
        String resource = "/golden/" + name + ".safetensors";
        try {
            Path file = Path.of(Objects.requireNonNull(Golden.class.getResource(resource), resource).toURI());
            return new Golden(name, SafeTensors.read(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A golden file outside the test resources (the full-size references of {@code FullSizeReferenceTest}). */
    static Golden read(Path file) throws IOException {
        return new Golden(file.getFileName().toString(), SafeTensors.read(file));
    }

    java.util.Set<String> keys() {
        return tensors.keySet();
    }

    boolean has(String key) {
        return tensors.containsKey(key);
    }

    /** A fresh copy, so an op writing into it cannot change the reference. */
    Tensor tensor(String key) {
        Tensor t = tensors.get(key);
        if (t == null) {
            throw new IllegalArgumentException(name + " has no tensor '" + key + "'; it has " + tensors.keySet());
        }
        return t.copy();
    }

    float[] array(String key) {
        return tensor(key).data();
    }

    /** Integer tensors (indices, targets) are stored as I64 and read exactly as float. */
    int[] ints(String key) {
        float[] values = tensors.get(key).data();
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (int) values[i];
        }
        return out;
    }

    float scalar(String key) {
        return tensors.get(key).data()[0];
    }

    int intMeta(String key) {
        return Integer.parseInt(metadata.get(key));
    }

    float floatMeta(String key) {
        return Float.parseFloat(metadata.get(key));
    }

    /** A tensor of the reference's shape filled with NaN: proves the op writes every element. */
    Tensor nanLike(String key) {
        return Tensor.full(Float.NaN, tensors.get(key).shape());
    }

    Tensor zerosLike(String key) {
        return Tensor.zeros(tensors.get(key).shape());
    }

    void assertClose(String key, Tensor actual) {
        assertArrayEquals(tensors.get(key).shape(), actual.shape(), () -> name + "." + key + ": shape");
        assertClose(key, actual.data());
    }

    void assertClose(String key, float[] actual) {
        assertClose(name + "." + key, tensors.get(key).data(), actual, 1.0);
    }

    void assertClose(String key, float actual) {
        assertClose(key, new float[] {actual});
    }

    /**
     * The bound scaled by the tensor's largest magnitude, {@code 1e-5 + 1e-4 * max|expected|}, for gradients
     * at the end of a long float32 backward pass, where small elements are differences of large terms. Use it
     * only where PyTorch's own float32 result misses the element-wise bound against its float64 one (see the
     * caller's comment for the measurement): then the element-wise bound tests float32, not our code.
     */
    void assertCloseToTensorScale(String key, Tensor actual) {
        assertArrayEquals(tensors.get(key).shape(), actual.shape(), () -> name + "." + key + ": shape");
        float[] expected = tensors.get(key).data();
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double allowed = ABSOLUTE + RELATIVE * scale;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(actual.data()[i] - expected[i]);
            if (!(diff <= allowed)) {
                fail(String.format("%s.%s: element %d got %.8g, expected %.8g; differs by %.3g, more than %.0e + %.0e"
                                + " * max|expected| (%.4g) = %.3g", name, key, i, actual.data()[i], expected[i], diff,
                        ABSOLUTE, RELATIVE, scale, allowed));
            }
        }
    }

    /**
     * Against a float64 reference that also holds PyTorch's own float32 result ({@code torch_float32.KEY}): the
     * relative L2 error of ours, {@code |actual - expected| / |expected|}, may be {@code floor} or {@code factor}
     * times that of PyTorch's float32 result, whichever is larger. For a whole network's training step: PyTorch's
     * float32 gradients miss their float64 ones by up to 0.4% (ill-conditioned training-mode BatchNorm on small
     * batches), and where a value sits within rounding of a ReLU6 bound or of another value in its max-pool window,
     * either engine's rounding decides whether its gradient counts, so a per-element bound tests float32's luck; a
     * wrong gradient is off by O(1).
     */
    void assertWithinPeerError(String key, Tensor actual, double floor, double factor) {
        assertArrayEquals(tensors.get(key).shape(), actual.shape(), () -> name + "." + key + ": shape");
        float[] expected = tensors.get(key).data();
        float[] peer = tensors.get("torch_float32." + key).data();
        double norm = 0;
        double error = 0;
        double peerError = 0;
        for (int i = 0; i < expected.length; i++) {
            norm += (double) expected[i] * expected[i];
            error += Math.pow(actual.data()[i] - expected[i], 2);
            peerError += Math.pow(peer[i] - expected[i], 2);
        }
        double relative = Math.sqrt(error / norm);
        double peerRelative = Math.sqrt(peerError / norm);
        double allowed = Math.max(floor, factor * peerRelative);
        if (!(relative <= allowed)) { // NaN fails too
            fail(String.format("%s.%s: relative L2 error %.3g, more than %.0f times PyTorch's float32 one (%.3g) and"
                    + " than %.3g", name, key, relative, factor, peerRelative, floor));
        }
    }

    /**
     * Compares element by element; on failure reports the count of bad elements and the worst one.
     * {@code scale} multiplies the expected values first (e.g. 2 after accumulating a gradient twice).
     */
    static void assertClose(String what, float[] expected, float[] actual, double scale) {
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " elements, expected " + expected.length);
        }
        int bad = 0;
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = scale * expected[i];
            double diff = Math.abs(actual[i] - e);
            double allowed = allowed(e);
            if (!(diff <= allowed)) { // NaN fails too
                bad++;
                double excess = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff / allowed;
                if (worst < 0 || excess > worstExcess) {
                    worst = i;
                    worstExcess = excess;
                }
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d elements differ from PyTorch beyond %.0e + %.0e*|expected|; worst at "
                            + "flat index %d: got %.8g, expected %.8g (first values got %s, expected %s)",
                    what, bad, expected.length, ABSOLUTE, RELATIVE, worst, actual[worst], scale * expected[worst],
                    head(actual), head(expected)));
        }
    }

    /** The element-wise bound for one expected value: {@code 1e-5 + 1e-4 * |expected|}. */
    static double allowed(double expected) {
        return ABSOLUTE + RELATIVE * Math.abs(expected);
    }

    private static String head(float[] a) {
        return Arrays.toString(Arrays.copyOf(a, Math.min(4, a.length)));
    }
}
