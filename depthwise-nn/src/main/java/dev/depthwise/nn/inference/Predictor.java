package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Module;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's eval-mode forward pass for callers that see inputs of a few shapes (a batch size and a last, smaller
 * batch; one image size): each shape is compiled once into an {@link InferenceModel}, and a model holding a module
 * that cannot be lowered (a user's own layer without {@link Module#lower}) runs through {@link Module#forward}
 * instead, which it says once on standard error, naming the module. This is what segmenting, evaluating and
 * classifying use; the results match {@code Module.forward} within float rounding.
 *
 * <p>Plans copy the weights when compiled: make a new predictor after the weights change. Not thread-safe.
 */
public final class Predictor {
    /** Plans kept at once; the oldest goes first (each holds its activation buffers). */
    private static final int MAX_PLANS = 3;

    private final Module model;
    private final CompileOptions options;
    private final Map<String, InferenceModel> plans = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, InferenceModel> eldest) {
            return size() > MAX_PLANS;
        }
    };
    private boolean compiles = true;

    /** Puts {@code model} in eval mode; plans use {@link CompileOptions#defaults()}. */
    public Predictor(Module model) {
        this(model, CompileOptions.defaults());
    }

    /** Puts {@code model} in eval mode; plans are compiled with {@code options}. */
    public Predictor(Module model, CompileOptions options) {
        if (model == null || options == null) {
            throw new IllegalArgumentException("Predictor: model and options must not be null");
        }
        this.model = model;
        this.options = options;
        model.eval();
    }

    /**
     * The model's output for {@code x}. The tensor belongs to the predictor and is overwritten by the next call:
     * copy it to keep it.
     */
    public Tensor forward(Tensor x) {
        if (compiles) {
            String key = Arrays.toString(x.shape());
            InferenceModel plan = plans.get(key);
            if (plan == null) {
                try {
                    plan = InferenceModel.compile(model, options, x.shape());
                } catch (NoLoweringException e) {
                    compiles = false;
                    System.err.println("depthwise: " + model.typeName() + " runs uncompiled, through Module.forward: "
                            + e.getMessage());
                    return model.forward(x);
                }
                plans.put(key, plan);
            }
            return plan.runReusingOutput(x);
        }
        return model.forward(x);
    }

    /** Whether inputs run through compiled plans (false: through {@code Module.forward}). */
    public boolean compiled() {
        return compiles;
    }
}
