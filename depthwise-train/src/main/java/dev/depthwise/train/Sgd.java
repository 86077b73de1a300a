package dev.depthwise.train;

import dev.depthwise.nn.Parameter;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stochastic gradient descent as {@code torch.optim.SGD} (dampening 0):
 * <pre>
 *   d = grad + weightDecay·w
 *   b = momentum·b + d            (b starts at 0, so the first step gives b = d, as PyTorch)
 *   w −= lr · (nesterov ? d + momentum·b : b)
 * </pre>
 * Without momentum there is no buffer and the update is {@code w −= lr·d}.
 */
public final class Sgd extends Optimizer {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private final double momentum;
    private final double weightDecay;
    private final boolean nesterov;

    public Sgd(Map<String, Parameter> params, double lr, double momentum, double weightDecay, boolean nesterov) {
        super(params, lr, momentum == 0 ? new String[0] : new String[] {"momentum_buffer"});
        if (!(momentum >= 0)) {
            throw new IllegalArgumentException("SGD momentum must be >= 0, got " + momentum);
        }
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("Nesterov momentum needs a momentum > 0");
        }
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    @Override
    protected void update(float[] w, float[] g, float[][] state, int from, int to) {
        float lr = (float) learningRate();
        float wd = (float) weightDecay;
        float mu = (float) momentum;
        float[] b = momentum == 0 ? null : state[0];
        int i = from;
        int bound = from + SPECIES.loopBound(to - from);
        for (; i < bound; i += SPECIES.length()) {
            FloatVector wv = FloatVector.fromArray(SPECIES, w, i);
            FloatVector d = wv.mul(wd).add(FloatVector.fromArray(SPECIES, g, i));
            if (b != null) {
                FloatVector bv = FloatVector.fromArray(SPECIES, b, i).mul(mu).add(d);
                bv.intoArray(b, i);
                d = nesterov ? bv.mul(mu).add(d) : bv;
            }
            wv.sub(d.mul(lr)).intoArray(w, i);
        }
        for (; i < to; i++) {
            float d = g[i] + wd * w[i];
            if (b != null) {
                b[i] = mu * b[i] + d;
                d = nesterov ? d + mu * b[i] : b[i];
            }
            w[i] -= lr * d;
        }
    }

    @Override
    public String name() {
        return "sgd";
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("lr", learningRate());
        c.put("momentum", momentum);
        c.put("weight_decay", weightDecay);
        c.put("nesterov", nesterov);
        return c;
    }
}
