package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;

import static dev.depthwise.engine.op.OpChecks.fail;
import static dev.depthwise.engine.op.OpChecks.present;
import static dev.depthwise.engine.op.OpChecks.rank;

/**
 * A fully connected layer as {@code torch.nn.Linear}: {@code out = x · weightᵀ + bias} with x [N, in],
 * weight [out, in] (PyTorch's layout) and bias [out] (nullable).
 */
public final class LinearOp {
    private LinearOp() {
    }

    public static void forward(Tensor x, Tensor weight, Tensor bias, Tensor out) {
        String op = "LinearOp.forward";
        int[] dims = check(op, x, weight, bias);
        int batch = dims[0];
        int in = dims[1];
        int outFeatures = dims[2];
        present(op, "out", out);
        if (!out.hasShape(batch, outFeatures)) {
            throw fail(op, "out has shape " + out.shapeString() + " but must be [" + batch + ", " + outFeatures
                    + "] for x " + x.shapeString() + " and weight " + weight.shapeString());
        }
        float[] xs = x.data();
        float[] ws = weight.data();
        float[] bs = bias == null ? null : bias.data();
        float[] os = out.data();
        Parallel.forRange(batch, (from, to) -> {
            for (int n = from; n < to; n++) {
                for (int o = 0; o < outFeatures; o++) {
                    float s = bs == null ? 0f : bs[o];
                    for (int i = 0; i < in; i++) {
                        s += xs[n * in + i] * ws[o * in + i];
                    }
                    os[n * outFeatures + o] = s;
                }
            }
        });
    }

    /** gradX (nullable) is overwritten; gradW and gradB (nullable) are accumulated. */
    public static void backward(Tensor x, Tensor weight, Tensor gradOut, Tensor gradX, Tensor gradW, Tensor gradB) {
        String op = "LinearOp.backward";
        int[] dims = check(op, x, weight, null);
        int batch = dims[0];
        int in = dims[1];
        int outFeatures = dims[2];
        present(op, "gradOut", gradOut);
        if (!gradOut.hasShape(batch, outFeatures)) {
            throw fail(op, "gradOut has shape " + gradOut.shapeString() + " but must be [" + batch + ", "
                    + outFeatures + "] for x " + x.shapeString() + " and weight " + weight.shapeString());
        }
        if (gradX != null && !gradX.hasShape(x.shape())) {
            throw fail(op, "gradX has shape " + gradX.shapeString() + " but x has shape " + x.shapeString());
        }
        if (gradW != null && !gradW.hasShape(weight.shape())) {
            throw fail(op, "gradW has shape " + gradW.shapeString() + " but weight has shape " + weight.shapeString());
        }
        if (gradB != null && !gradB.hasShape(outFeatures)) {
            throw fail(op, "gradB has shape " + gradB.shapeString() + " but must be [" + outFeatures + "]");
        }
        float[] xs = x.data();
        float[] ws = weight.data();
        float[] gs = gradOut.data();
        if (gradX != null) {
            float[] dxs = gradX.data();
            Parallel.forRange(batch, (from, to) -> {
                for (int n = from; n < to; n++) {
                    for (int i = 0; i < in; i++) {
                        float s = 0f;
                        for (int o = 0; o < outFeatures; o++) {
                            s += gs[n * outFeatures + o] * ws[o * in + i];
                        }
                        dxs[n * in + i] = s;
                    }
                }
            });
        }
        if (gradW != null) {
            float[] dws = gradW.data();
            Parallel.forRange(outFeatures, (from, to) -> {
                for (int o = from; o < to; o++) {
                    for (int n = 0; n < batch; n++) {
                        float g = gs[n * outFeatures + o];
                        for (int i = 0; i < in; i++) {
                            dws[o * in + i] += g * xs[n * in + i];
                        }
                    }
                }
            });
        }
        if (gradB != null) {
            float[] dbs = gradB.data();
            for (int n = 0; n < batch; n++) {
                for (int o = 0; o < outFeatures; o++) {
                    dbs[o] += gs[n * outFeatures + o];
                }
            }
        }
    }

    /** Returns {batch, in, out}. */
    private static int[] check(String op, Tensor x, Tensor weight, Tensor bias) {
        rank(op, "x", x, 2);
        rank(op, "weight", weight, 2);
        if (weight.dim(1) != x.dim(1)) {
            throw fail(op, "x " + x.shapeString() + " has " + x.dim(1) + " features but weight " + weight.shapeString()
                    + " expects " + weight.dim(1));
        }
        if (bias != null && !bias.hasShape(weight.dim(0))) {
            throw fail(op, "bias has shape " + bias.shapeString() + " but weight " + weight.shapeString()
                    + " needs [" + weight.dim(0) + "]");
        }
        return new int[] {x.dim(0), x.dim(1), weight.dim(0)};
    }
}
