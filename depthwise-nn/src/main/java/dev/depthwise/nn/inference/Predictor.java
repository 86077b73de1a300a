package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Module;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's eval-mode forward pass for callers that see inputs of a few shapes (a batch size and a last, smaller
 * batch; one image size): each shape is compiled once into an {@link InferenceModel}, and a model the compiler has
 * no lowering for (a user's own module) runs through {@link Module#forward} instead. This is what segmenting,
 * evaluating and classifying use; the results match {@code Module.forward} within float rounding.
 *
 * <p>Plans copy the weights when compiled: make a new predictor after the weights change. Not thread-safe.
 */
public final class Predictor {
    /** Plans kept at once; the oldest goes first (each holds its activation buffers). */
    private static final int MAX_PLANS = 3;

    private final Module model;
    private final Map<String, InferenceModel> plans = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, InferenceModel> eldest) {
            return size() > MAX_PLANS;
        }
    };
    private boolean compiles = true;

    /** Puts {@code model} in eval mode. */
    public Predictor(Module model) {
        if (model == null) {
            throw new IllegalArgumentException("Predictor: model must not be null");
        }
        this.model = model;
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
                    plan = InferenceModel.compile(model, x.shape());
                } catch (NoLoweringException e) {
                    compiles = false; // a module the compiler does not know: the model's own forward pass
                    return model.forward(x);
                }
                plans.put(key, plan);
            }
            return plan.run(x);
        }
        return model.forward(x);
    }

    /** Whether inputs run through compiled plans (false: through {@code Module.forward}). */
    public boolean compiled() {
        return compiles;
    }
}
