package dev.depthwise.nn;

import java.util.function.Supplier;

/**
 * What a module describes itself with for the inference compiler ({@link Module#lower}): a handful of graph nodes
 * over values of known shape. Modules only say what they compute, in NCHW terms; the compiler decides how (folding
 * BatchNorm into convs, fusing activations and residual adds, choosing the memory layout, planning buffers).
 * Implemented by the compiler in {@code dev.depthwise.nn.inference}; a lowering only calls it.
 */
public interface Lowering {
    /** An activation in the graph being built. */
    interface Value {
        /** Its NCHW (or, after a flatten, [N, features]) shape; do not modify. */
        int[] shape();
    }

    /** Lowers {@code child} on {@code x} with {@code name} appended to the path that errors and the plan print. */
    default Value lower(String name, Module child, Value x) {
        return within(name, child, () -> child.lower(this, x));
    }

    /**
     * Runs {@code body} with {@code name} (for {@code child}) appended to the path: for a child that takes more
     * than one value, whose module lowers it with a method of its own.
     */
    Value within(String name, Module child, Supplier<Value> body);

    /** The error for a module that has no lowering, naming it and its path in the model. */
    IllegalArgumentException cannotLower(Module module);

    /** An error about the module being lowered, prefixed with its path and type. */
    IllegalArgumentException error(String message);

    Value conv(Conv2d conv, Value x);

    /** Eval-mode BatchNorm with the running statistics. */
    Value batchNorm(BatchNorm2d norm, Value x);

    Value relu(Value x);

    Value relu6(Value x);

    /** A max pool whose winners {@link #maxUnpool} with the same {@code pool} puts back. */
    Value maxPool(MaxPool2d pool, Value x);

    Value maxUnpool(MaxPool2d pool, Value x);

    Value upsample(Upsample.Mode mode, int scale, Value x);

    /** {@code [N, C, H, W] -> [N, C, 1, 1]}. */
    Value globalAvgPool(Value x);

    Value linear(Linear linear, Value x);

    /** The same data under another shape of the same size (a flatten). */
    Value reshape(Value x, int... shape);

    /** Elementwise sum of two values of one shape. */
    Value add(Value a, Value b);

    /** Concatenation along channels of NCHW values with the same N, H and W. */
    Value concat(Value... values);
}
