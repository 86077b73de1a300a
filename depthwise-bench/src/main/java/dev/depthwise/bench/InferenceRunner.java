package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;

/**
 * One way of running a model's forward pass on a batch, timed by the harness. Ours (today the Module's
 * eval-mode forward; later a planned-buffer path) and ONNX Runtime each implement it, so adding another
 * inference path is one small class.
 */
public interface InferenceRunner extends AutoCloseable {
    /** A short label for the table, such as {@code ours} or {@code onnxruntime}. */
    String name();

    /** Runs one forward pass; the result may be reused by the next call, so copy it to keep it. */
    Tensor run(Tensor input) throws Exception;

    @Override
    default void close() throws Exception {
    }
}
