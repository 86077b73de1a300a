package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;

/**
 * One way of running a model's forward pass on a batch, timed by the harness. Ours (the Module's eval-mode
 * forward, the planned path) and ONNX Runtime each implement it, so adding another inference path is one small
 * class. The harness times {@link #infer} alone; {@link #output} reads the result afterwards, so an engine whose
 * output lives outside the Java heap is not charged for copying it out on every call.
 */
public interface InferenceRunner extends AutoCloseable {
    /** A short label for the table, such as {@code ours} or {@code onnxruntime}. */
    String name();

    /** Runs one forward pass on {@code input}, which must not change while this runner may still read it. */
    void infer(Tensor input) throws Exception;

    /** The last pass's output; it may be reused by the next call, so copy it to keep it. */
    Tensor output() throws Exception;

    /** {@link #infer} then {@link #output}. */
    default Tensor run(Tensor input) throws Exception {
        infer(input);
        return output();
    }

    @Override
    default void close() throws Exception {
    }
}
