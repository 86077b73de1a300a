package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;

import static dev.depthwise.engine.op.OpChecks.fail;
import static dev.depthwise.engine.op.OpChecks.present;
import static dev.depthwise.engine.op.OpChecks.rank;

/**
 * A fully connected layer as {@code torch.nn.Linear}: {@code out = x · weightᵀ + bias} with x [N, in],
 * weight [out, in] (PyTorch's layout) and bias [out] (nullable); the products run on {@link Gemm}.
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
        float[] os = out.data();
        Gemm.matmul(false, true, batch, outFeatures, in, x.data(), 0, weight.data(), 0, os, 0, false);
        if (bias != null) {
            float[] bs = bias.data();
            for (int n = 0; n < batch; n++) {
                for (int o = 0; o < outFeatures; o++) {
                    os[n * outFeatures + o] += bs[o];
                }
            }
        }
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
        float[] gs = gradOut.data();
        if (gradX != null) {
            // gradX[N, in] = gradOut[N, out] · weight[out, in]
            Gemm.matmul(false, false, batch, in, outFeatures, gs, 0, weight.data(), 0, gradX.data(), 0, false);
        }
        if (gradW != null) {
            // gradW[out, in] += gradOutᵀ · x
            Gemm.matmul(true, false, outFeatures, in, batch, gs, 0, x.data(), 0, gradW.data(), 0, true);
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
