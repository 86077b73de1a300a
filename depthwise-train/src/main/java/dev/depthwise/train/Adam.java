package dev.depthwise.train;

import dev.depthwise.nn.Parameter;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam and AdamW exactly as {@code torch.optim.Adam} / {@code torch.optim.AdamW} (no amsgrad):
 * <pre>
 *   g  = grad (+ weightDecay·w for Adam's L2 decay)       w *= 1 − lr·weightDecay first, for AdamW
 *   m  = β1·m + (1 − β1)·g
 *   v  = β2·v + (1 − β2)·g²
 *   w −= lr / (1 − β1^t) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 * </pre>
 * The article trains with Adam at lr 1e-3 and PyTorch's defaults β = (0.9, 0.999), eps = 1e-8.
 */
public final class Adam extends Optimizer {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupled;

    /** Adam with PyTorch's defaults. */
    public Adam(Map<String, Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    /** @param decoupled true for AdamW (decay applied to the weights, not added to the gradient) */
    public Adam(Map<String, Parameter> params, double lr, double beta1, double beta2, double eps,
                double weightDecay, boolean decoupled) {
        super(params, lr, "exp_avg", "exp_avg_sq");
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    /** AdamW with PyTorch's defaults (weight decay 0.01). */
    public static Adam adamW(Map<String, Parameter> params, double lr) {
        return new Adam(params, lr, 0.9, 0.999, 1e-8, 0.01, true);
    }

    @Override
    protected void update(float[] w, float[] g, float[][] state, int from, int to) {
        float[] m = state[0];
        float[] v = state[1];
        long t = steps();
        double lr = learningRate();
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float oneMinusB1 = (float) (1 - beta1);
        float oneMinusB2 = (float) (1 - beta2);
        float stepSize = (float) (lr / (1 - Math.pow(beta1, t)));
        float invSqrtBc2 = (float) (1 / Math.sqrt(1 - Math.pow(beta2, t)));
        float epsF = (float) eps;
        float l2 = decoupled ? 0f : (float) weightDecay;
        float shrink = decoupled ? (float) (1 - lr * weightDecay) : 1f;

        int i = from;
        int bound = from + SPECIES.loopBound(to - from);
        for (; i < bound; i += SPECIES.length()) {
            FloatVector wv = FloatVector.fromArray(SPECIES, w, i).mul(shrink);
            FloatVector gv = FloatVector.fromArray(SPECIES, g, i);
            if (l2 != 0f) {
                gv = wv.mul(l2).add(gv);
            }
            FloatVector mv = FloatVector.fromArray(SPECIES, m, i).mul(b1).add(gv.mul(oneMinusB1));
            FloatVector vv = FloatVector.fromArray(SPECIES, v, i).mul(b2).add(gv.mul(gv).mul(oneMinusB2));
            FloatVector denom = vv.lanewise(VectorOperators.SQRT).mul(invSqrtBc2).add(epsF);
            mv.intoArray(m, i);
            vv.intoArray(v, i);
            wv.sub(mv.div(denom).mul(stepSize)).intoArray(w, i);
        }
        for (; i < to; i++) {
            float wi = w[i] * shrink;
            float gi = g[i] + l2 * wi;
            m[i] = b1 * m[i] + oneMinusB1 * gi;
            v[i] = b2 * v[i] + oneMinusB2 * gi * gi;
            float denom = (float) Math.sqrt(v[i]) * invSqrtBc2 + epsF;
            w[i] = wi - stepSize * (m[i] / denom);
        }
    }

    @Override
    public String name() {
        return decoupled ? "adamw" : "adam";
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("lr", learningRate());
        c.put("betas", new double[] {beta1, beta2});
        c.put("eps", eps);
        c.put("weight_decay", weightDecay);
        return c;
    }
}
