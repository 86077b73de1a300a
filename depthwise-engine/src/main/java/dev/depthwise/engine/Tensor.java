package dev.depthwise.engine;

import java.util.Arrays;

/**
 * A dense float32 tensor: a shape and a flat row-major array. Four-dimensional activations are NCHW
 * (batch, channels, height, width), the layout PyTorch uses, so OIHW conv weights import as they are;
 * see {@code package-info.java} for why NCHW was chosen.
 *
 * <p>A tensor is a plain heap array with no hidden lifetime: no native memory, nothing to close.
 * Ops write into tensors the caller provides, so buffers can be planned once and reused.
 */
public final class Tensor {
    private final int[] shape;
    private final float[] data;
    /** Elements of the tensor: the first {@code size} of {@code data}, which is longer only for a {@link #view}. */
    private final int size;

    /** Wraps {@code data} (not copied) with the given shape; the sizes must agree. */
    public Tensor(float[] data, int... shape) {
        this(data, shape, false);
    }

    private Tensor(float[] data, int[] shape, boolean prefix) {
        long size = checkedSize(shape);
        if (prefix ? data.length < size : data.length != size) {
            throw new IllegalArgumentException("data of length " + data.length + " does not fit shape "
                    + Arrays.toString(shape) + " (" + size + " elements)");
        }
        this.shape = shape.clone();
        this.data = data;
        this.size = (int) size;
    }

    /**
     * Wraps the first elements of {@code data} (not copied) with the given shape: planned buffers lend one array to
     * activations of different sizes at different times. {@link #data()} is then longer than {@link #size()}.
     */
    public static Tensor view(float[] data, int... shape) {
        return new Tensor(data, shape, true);
    }

    public static Tensor zeros(int... shape) {
        return new Tensor(new float[(int) checkedSize(shape)], shape);
    }

    /** A tensor of the given shape filled with {@code value}. */
    public static Tensor full(float value, int... shape) {
        Tensor t = zeros(shape);
        Arrays.fill(t.data, value);
        return t;
    }

    private static long checkedSize(int[] shape) {
        long size = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            size *= d;
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + size
                    + " elements, more than one Java array can hold");
        }
        return size;
    }

    /** The backing array, row-major. Writes through. */
    public float[] data() {
        return data;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    public int size() {
        return size;
    }

    /** Batch size of an NCHW (or NC) tensor. */
    public int n() {
        return shape[0];
    }

    /** Channels of an NCHW (or NC) tensor. */
    public int c() {
        return shape[1];
    }

    /** Height of an NCHW tensor. */
    public int h() {
        return shape[2];
    }

    /** Width of an NCHW tensor. */
    public int w() {
        return shape[3];
    }

    public boolean hasShape(int... expected) {
        return Arrays.equals(shape, expected);
    }

    /** The same data seen with another shape of the same size. */
    public Tensor reshape(int... newShape) {
        if (checkedSize(newShape) != size) {
            throw new IllegalArgumentException("cannot reshape " + shapeString() + " to " + Arrays.toString(newShape));
        }
        return new Tensor(data, newShape, true);
    }

    public Tensor copy() {
        return new Tensor(Arrays.copyOf(data, size), shape);
    }

    public void fill(float value) {
        Arrays.fill(data, 0, size, value);
    }

    /** Copies {@code other}'s values into this tensor; the sizes must agree. */
    public void copyFrom(Tensor other) {
        if (other.size != size) {
            throw new IllegalArgumentException("cannot copy " + other.shapeString() + " into " + shapeString());
        }
        System.arraycopy(other.data, 0, data, 0, size);
    }

    public float get(int... index) {
        return data[offset(index)];
    }

    public void set(float value, int... index) {
        data[offset(index)] = value;
    }

    private int offset(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + index.length + " for tensor " + shapeString());
        }
        int off = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " outside " + shapeString());
            }
            off = off * shape[i] + index[i];
        }
        return off;
    }

    /** The shape as PyTorch prints it: {@code [1, 3, 224, 224]}. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    public static String shapeString(int... shape) {
        return Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return "Tensor" + shapeString();
    }
}
