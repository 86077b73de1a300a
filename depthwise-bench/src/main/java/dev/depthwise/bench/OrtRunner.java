package dev.depthwise.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.depthwise.engine.Tensor;

import java.nio.FloatBuffer;
import java.util.Map;

/**
 * ONNX Runtime on an exported model, with the settings we compare against: {@code threads} intra-op
 * threads, one inter-op thread, all graph optimisations on.
 */
public final class OrtRunner implements InferenceRunner {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String inputName;

    public OrtRunner(byte[] onnxModel, int threads) throws OrtException {
        this(onnxModel, threads, OrtSession.SessionOptions.OptLevel.ALL_OPT);
    }

    /** With another optimisation level: NO_OPT runs the graph as exported (BatchNorm not folded into convs). */
    public OrtRunner(byte[] onnxModel, int threads, OrtSession.SessionOptions.OptLevel level) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(level);
            session = env.createSession(onnxModel, options);
        }
        inputName = session.getInputNames().iterator().next();
    }

    @Override
    public String name() {
        return "onnxruntime";
    }

    @Override
    public Tensor run(Tensor input) throws OrtException {
        long[] shape = java.util.Arrays.stream(input.shape()).asLongStream().toArray();
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input.data()), shape);
             OrtSession.Result result = session.run(Map.of(inputName, x))) {
            OnnxTensor y = (OnnxTensor) result.get(0);
            long[] yShape = y.getInfo().getShape();
            int[] outShape = new int[yShape.length];
            for (int i = 0; i < yShape.length; i++) {
                outShape[i] = Math.toIntExact(yShape[i]);
            }
            FloatBuffer values = y.getFloatBuffer();
            float[] out = new float[values.remaining()];
            values.get(out);
            return new Tensor(out, outShape);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
