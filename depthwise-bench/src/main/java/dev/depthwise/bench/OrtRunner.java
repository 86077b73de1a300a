package dev.depthwise.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.depthwise.engine.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * ONNX Runtime on an exported model, with the settings we compare against: {@code threads} intra-op
 * threads, one inter-op thread, all graph optimisations on — and called as a careful Java user would.
 *
 * <p>The input values are copied once into a direct buffer that one {@code OnnxTensor} wraps for as long as the
 * same input {@link Tensor} comes back, and the output is written into a direct buffer pinned to the session
 * ({@code run(inputs, pinnedOutputs)}), so a timed {@link #infer} allocates no tensor and copies nothing;
 * {@link #output} copies the values out afterwards. Creating an {@code OnnxTensor} from a heap
 * {@code FloatBuffer} and copying the output into a new array on every call, as this harness once did, cost ONNX
 * Runtime about 2 ms of its 5.6 ms on MobileNetV2 224 batch 1 (5 Dec 2026).
 */
public final class OrtRunner implements InferenceRunner {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String inputName;
    private final String outputName;

    /** The input whose values are in {@link #inputTensor}'s buffer. */
    private Tensor boundInput;
    private OnnxTensor inputTensor;
    private Map<String, OnnxTensor> inputs;
    private OnnxTensor outputTensor;
    private Map<String, OnnxTensor> pinnedOutputs;
    private int[] outputShape;

    public OrtRunner(byte[] onnxModel, int threads) throws OrtException {
        this(onnxModel, threads, OrtSession.SessionOptions.OptLevel.ALL_OPT, null);
    }

    /** With another optimisation level: NO_OPT runs the graph as exported (BatchNorm not folded into convs). */
    public OrtRunner(byte[] onnxModel, int threads, OrtSession.SessionOptions.OptLevel level) throws OrtException {
        this(onnxModel, threads, level, null);
    }

    /**
     * With ONNX Runtime's own profiler on when {@code profilePrefix} is not null: it writes a JSON trace, whose
     * {@code model_run} events time each run inside the session, to the file {@link #endProfiling} names.
     */
    OrtRunner(byte[] onnxModel, int threads, OrtSession.SessionOptions.OptLevel level, Path profilePrefix)
            throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(level);
            if (profilePrefix != null) {
                options.enableProfiling(profilePrefix.toString());
            }
            session = env.createSession(onnxModel, options);
        }
        inputName = session.getInputNames().iterator().next();
        outputName = session.getOutputNames().iterator().next();
    }

    @Override
    public String name() {
        return "onnxruntime";
    }

    @Override
    public void infer(Tensor input) throws OrtException {
        if (input != boundInput) {
            bind(input);
        }
        if (pinnedOutputs == null) {
            pinOutput();
        }
        session.run(inputs, pinnedOutputs).close(); // closes only what the result owns, not the pinned output
    }

    @Override
    public Tensor output() {
        if (outputTensor == null) {
            throw new IllegalStateException("onnxruntime: output() before any infer()");
        }
        FloatBuffer values = outputTensor.getFloatBuffer();
        float[] out = new float[values.remaining()];
        values.get(out);
        return new Tensor(out, outputShape);
    }

    /** Copies the input's values into a direct buffer (new only when the shape changes) wrapped by one tensor. */
    private void bind(Tensor input) throws OrtException {
        if (boundInput == null || !input.hasShape(boundInput.shape())) {
            closeTensors();
            long[] shape = Arrays.stream(input.shape()).asLongStream().toArray();
            inputTensor = OnnxTensor.createTensor(env, directFloats(input.size()), shape);
            inputs = Map.of(inputName, inputTensor);
        }
        FloatBuffer buffer = inputTensor.getBufferRef().map(FloatBuffer.class::cast)
                .orElseThrow(() -> new IllegalStateException("onnxruntime: the input tensor lost its buffer"));
        buffer.clear();
        buffer.put(input.data(), 0, input.size());
        buffer.clear();
        boundInput = input;
    }

    /** Runs once unpinned to learn the output's shape, then pins a direct buffer of that shape as the output. */
    private void pinOutput() throws OrtException {
        long[] shape;
        try (OrtSession.Result result = session.run(inputs)) {
            shape = ((OnnxTensor) result.get(0)).getInfo().getShape();
        }
        outputShape = Arrays.stream(shape).mapToInt(Math::toIntExact).toArray();
        outputTensor = OnnxTensor.createTensor(env, directFloats(Math.toIntExact(Arrays.stream(shape)
                .reduce(1, Math::multiplyExact))), shape);
        pinnedOutputs = Map.of(outputName, outputTensor);
    }

    private static FloatBuffer directFloats(int count) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(count, Float.BYTES)).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    /** Ends profiling and returns the trace file ONNX Runtime wrote. */
    Path endProfiling() throws OrtException {
        return Path.of(session.endProfiling());
    }

    private void closeTensors() {
        if (inputTensor != null) {
            inputTensor.close();
        }
        if (outputTensor != null) {
            outputTensor.close();
        }
        inputTensor = null;
        outputTensor = null;
        inputs = null;
        pinnedOutputs = null;
        boundInput = null;
    }

    @Override
    public void close() throws OrtException {
        closeTensors();
        session.close();
    }
}
