package dev.depthwise.train;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Parameter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An optimiser over a model's named parameters, as {@code torch.optim}: {@link #step()} updates every
 * trainable parameter from its accumulated gradient. Per-parameter state (Adam's moments, SGD's momentum
 * buffer) lives in named "slots" of the parameter's shape, exported by {@link #state()} as tensors keyed
 * {@code slot.parameterName} so a checkpoint can save and restore it exactly.
 *
 * <p>Frozen parameters ({@code requiresGrad() == false}) are skipped, as PyTorch skips parameters
 * without a gradient: those frozen when the optimiser is made are left out altogether; those frozen later
 * (an encoder frozen for the first epochs of fine-tuning) keep their slots and are not updated while frozen.
 */
public abstract class Optimizer {
    /** Arrays longer than this are split across threads; shorter ones are not worth the hand-off. */
    private static final int PARALLEL_GRAIN = 1 << 15;

    private final List<String> names = new ArrayList<>();
    private final List<Parameter> params = new ArrayList<>();
    private final String[] slotNames;
    /** slots[s][i]: slot s of parameter i, same length as the parameter. */
    private final float[][][] slots;
    private double lr;
    private long steps;

    protected Optimizer(Map<String, Parameter> namedParameters, double lr, String... slotNames) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException("learning rate must be >= 0, got " + lr);
        }
        namedParameters.forEach((name, p) -> {
            if (p.requiresGrad()) {
                names.add(name);
                params.add(p);
            }
        });
        this.slotNames = slotNames.clone();
        this.slots = new float[slotNames.length][params.size()][];
        for (int s = 0; s < slotNames.length; s++) {
            for (int i = 0; i < params.size(); i++) {
                slots[s][i] = new float[params.get(i).size()];
            }
        }
        this.lr = lr;
    }

    /**
     * Creates an optimiser by its command-line name with PyTorch's defaults for what is not given:
     * {@code adam} (weight decay as L2 in the gradient), {@code adamw} (decoupled weight decay, default
     * 0.01) or {@code sgd} (momentum, optional Nesterov).
     *
     * @param weightDecay null for the optimiser's default
     */
    public static Optimizer create(String name, Map<String, Parameter> params, double lr, Double weightDecay,
                                   double momentum, boolean nesterov) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "adam" -> new Adam(params, lr, 0.9, 0.999, 1e-8, weightDecay == null ? 0 : weightDecay, false);
            case "adamw" -> new Adam(params, lr, 0.9, 0.999, 1e-8, weightDecay == null ? 0.01 : weightDecay, true);
            case "sgd" -> new Sgd(params, lr, momentum, weightDecay == null ? 0 : weightDecay, nesterov);
            default -> throw new IllegalArgumentException("unknown optimizer '" + name + "' (adam, adamw, sgd)");
        };
    }

    /** Updates every trainable parameter from its gradient (call after backward, before the next zeroGrad). */
    public final void step() {
        steps++;
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            if (!p.requiresGrad()) {
                continue;
            }
            float[] w = p.value().data();
            float[] g = p.grad().data();
            float[][] state = new float[slots.length][];
            for (int s = 0; s < slots.length; s++) {
                state[s] = slots[s][i];
            }
            Parallel.forRange(w.length, PARALLEL_GRAIN, (from, to) -> update(w, g, state, from, to));
        }
    }

    /**
     * Updates {@code w[from, to)} from {@code g} and the parameter's slots (in the order of the slot
     * names); {@link #steps()} already counts this step.
     */
    protected abstract void update(float[] w, float[] g, float[][] state, int from, int to);

    /** Zeroes the gradient of every parameter this optimiser updates. */
    public final void zeroGrad() {
        for (Parameter p : params) {
            p.zeroGrad();
        }
    }

    public final double learningRate() {
        return lr;
    }

    public final void setLearningRate(double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException("learning rate must be >= 0, got " + lr);
        }
        this.lr = lr;
    }

    /** Steps taken so far (PyTorch's per-parameter {@code state['step']}, the same for all here). */
    public final long steps() {
        return steps;
    }

    /** The command-line name: adam, adamw, sgd. */
    public abstract String name();

    /** The hyper-parameters, for checkpoint metadata and reports. */
    public abstract Map<String, Object> config();

    /** The per-parameter state as live tensors keyed {@code slot.parameterName}; empty for plain SGD. */
    public final Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int s = 0; s < slotNames.length; s++) {
            for (int i = 0; i < params.size(); i++) {
                out.put(slotNames[s] + "." + names.get(i), new Tensor(slots[s][i], params.get(i).shape()));
            }
        }
        return out;
    }

    /** Restores what {@link #state()} and {@link #steps()} returned; every slot must be present with its shape. */
    public final void loadState(Map<String, Tensor> state, long steps) {
        List<String> problems = new ArrayList<>();
        for (int s = 0; s < slotNames.length; s++) {
            for (int i = 0; i < params.size(); i++) {
                String key = slotNames[s] + "." + names.get(i);
                Tensor t = state.get(key);
                if (t == null) {
                    problems.add("missing " + key);
                } else if (!t.hasShape(params.get(i).shape())) {
                    problems.add(key + " is " + t.shapeString() + ", parameter is "
                            + Tensor.shapeString(params.get(i).shape()));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(name() + " optimizer state does not fit the model: "
                    + String.join("; ", problems));
        }
        for (int s = 0; s < slotNames.length; s++) {
            for (int i = 0; i < params.size(); i++) {
                System.arraycopy(state.get(slotNames[s] + "." + names.get(i)).data(), 0, slots[s][i], 0,
                        slots[s][i].length);
            }
        }
        this.steps = steps;
    }
}
