package dev.depthwise.train;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerTest {
    /**
     * Three steps on w = (0.5, -1, 2) with gradients (0.1 t, -0.2, 0.3 / t) at step t; the expected weights
     * were printed by torch 1.13 (torch.optim.Adam / AdamW / SGD with the same settings).
     */
    private static float[] threeTorchSteps(Function<Map<String, Parameter>, Optimizer> make) {
        Parameter w = new Parameter(new Tensor(new float[] {0.5f, -1f, 2f}, 3));
        Optimizer opt = make.apply(Map.of("w", w));
        for (int t = 1; t <= 3; t++) {
            opt.zeroGrad();
            float[] g = w.grad().data();
            g[0] = 0.1f * t;
            g[1] = -0.2f;
            g[2] = 0.3f / t;
            opt.step();
        }
        return w.value().data();
    }

    @Test
    void adamMatchesTorch() {
        assertArrayEquals(new float[] {0.4970768392086029f, -0.9970000386238098f, 1.997194528579712f},
                threeTorchSteps(p -> new Adam(p, 1e-3)), 1e-6f);
    }

    @Test
    void adamWithL2DecayMatchesTorch() {
        assertArrayEquals(new float[] {0.4703945815563202f, -0.9700032472610474f, 1.970665693283081f},
                threeTorchSteps(p -> new Adam(p, 1e-2, 0.9, 0.999, 1e-8, 0.1, false)), 1e-6f);
    }

    @Test
    void adamWMatchesTorch() {
        assertArrayEquals(new float[] {0.47062113881111145f, -0.9697030186653137f, 1.9713495969772339f},
                threeTorchSteps(p -> Adam.adamW(p, 1e-2)), 1e-6f);
    }

    @Test
    void sgdVariantsMatchTorch() {
        assertArrayEquals(new float[] {0.4399999976158142f, -0.940000057220459f, 1.9450000524520874f},
                threeTorchSteps(p -> new Sgd(p, 0.1, 0, 0, false)), 1e-6f);
        assertArrayEquals(new float[] {0.4048999845981598f, -0.8878000378608704f, 1.8802000284194946f},
                threeTorchSteps(p -> new Sgd(p, 0.1, 0.9, 0, false)), 1e-6f);
        assertArrayEquals(new float[] {0.3505675494670868f, -0.8312628865242004f, 1.8214726448059082f},
                threeTorchSteps(p -> new Sgd(p, 0.1, 0.9, 0.01, true)), 1e-6f);
    }

    /** The vector loop and the scalar tail must agree with the formula in double on a long parameter. */
    @Test
    void adamVectorLoopMatchesTheFormulaOnEveryElement() {
        int n = 1000 + 7;
        float[] w0 = new float[n];
        for (int i = 0; i < n; i++) {
            w0[i] = (float) Math.sin(i);
        }
        Parameter w = new Parameter(new Tensor(w0.clone(), n));
        Adam adam = new Adam(Map.of("w", w), 0.01, 0.9, 0.999, 1e-8, 0.05, true);
        double[] ref = new double[n];
        double[] m = new double[n];
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            ref[i] = w0[i];
        }
        for (int t = 1; t <= 4; t++) {
            adam.zeroGrad();
            for (int i = 0; i < n; i++) {
                w.grad().data()[i] = (float) Math.cos(i * t);
            }
            adam.step();
            for (int i = 0; i < n; i++) {
                double g = (float) Math.cos(i * t);
                ref[i] *= 1 - 0.01 * 0.05;
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8;
                ref[i] -= 0.01 / (1 - Math.pow(0.9, t)) * m[i] / denom;
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals(ref[i], w.value().data()[i], 1e-5, "element " + i);
        }
    }

    @Test
    void stateRoundTripContinuesExactly() {
        Map<String, Parameter> a = params();
        Map<String, Parameter> b = params();
        Optimizer optA = new Adam(a, 1e-2);
        for (int t = 0; t < 3; t++) {
            stepWithGrad(optA, a, t);
        }
        // Copy weights and optimiser state into a fresh model and optimiser, then take the same step on both.
        b.forEach((k, p) -> p.value().copyFrom(a.get(k).value()));
        Optimizer optB = new Adam(b, 1e-2);
        Map<String, Tensor> saved = new LinkedHashMap<>();
        optA.state().forEach((k, t) -> saved.put(k, t.copy()));
        optB.loadState(saved, optA.steps());
        stepWithGrad(optA, a, 3);
        stepWithGrad(optB, b, 3);
        a.forEach((k, p) -> assertArrayEquals(p.value().data(), b.get(k).value().data(), k));
        assertTrue(optA.state().containsKey("exp_avg_sq.conv.weight"));
    }

    @Test
    void loadStateNamesWhatDoesNotFit() {
        Optimizer opt = new Adam(params(), 1e-3);
        Map<String, Tensor> state = new LinkedHashMap<>(opt.state());
        state.remove("exp_avg.conv.bias");
        state.put("exp_avg_sq.conv.weight", Tensor.zeros(2));
        var e = assertThrows(IllegalArgumentException.class, () -> opt.loadState(state, 1));
        assertTrue(e.getMessage().contains("missing exp_avg.conv.bias"), e.getMessage());
        assertTrue(e.getMessage().contains("exp_avg_sq.conv.weight is [2]"), e.getMessage());
    }

    @Test
    void frozenParametersAreNotUpdated() {
        Map<String, Parameter> p = params();
        p.get("conv.bias").setRequiresGrad(false);
        Optimizer opt = new Sgd(p, 0.1, 0, 0, false);
        float[] before = p.get("conv.bias").value().data().clone();
        stepWithGrad(opt, p, 0);
        assertArrayEquals(before, p.get("conv.bias").value().data());
        assertEquals(1, opt.state().size() + 1); // plain SGD: no state at all
    }

    @Test
    void createKnowsTheCommandLineNames() {
        assertEquals("adam", Optimizer.create("adam", params(), 1e-3, null, 0, false).name());
        assertEquals(0.01, Optimizer.create("AdamW", params(), 1e-3, null, 0, false).config().get("weight_decay"));
        assertEquals("sgd", Optimizer.create("sgd", params(), 1e-3, null, 0.9, true).name());
        assertThrows(IllegalArgumentException.class, () -> Optimizer.create("rmsprop", params(), 1e-3, null, 0, false));
    }

    private static Map<String, Parameter> params() {
        Map<String, Parameter> p = new LinkedHashMap<>();
        float[] w = new float[40];
        for (int i = 0; i < w.length; i++) {
            w[i] = i * 0.01f - 0.2f;
        }
        p.put("conv.weight", new Parameter(new Tensor(w, 4, 10)));
        p.put("conv.bias", new Parameter(new Tensor(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 4)));
        return p;
    }

    private static void stepWithGrad(Optimizer opt, Map<String, Parameter> params, int t) {
        opt.zeroGrad();
        params.values().forEach(p -> {
            float[] g = p.grad().data();
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) Math.sin(i + 3 * t);
            }
        });
        opt.step();
    }
}
