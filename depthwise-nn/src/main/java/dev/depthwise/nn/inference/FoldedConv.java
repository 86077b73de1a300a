package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.BatchNorm2d;

/**
 * A conv with the eval-mode BatchNorm after it folded in: BN(conv(x)) = conv'(x) with {@code W'[o] = W[o]·s[o]} and
 * {@code b'[o] = (b[o] − mean[o])·s[o] + beta[o]}, {@code s = gamma / sqrt(var + eps)}. New tensors: the model's own
 * parameters are never touched.
 */
final class FoldedConv {
    private FoldedConv() {
    }

    static Op.Conv of(Op.Conv conv, BatchNorm2d bn) {
        Tensor w = conv.weight().copy();
        int out = conv.spec().outChannels();
        float[] b = new float[out];
        if (conv.bias() != null) {
            System.arraycopy(conv.bias().data(), 0, b, 0, out);
        }
        float[] gamma = bn.weight().value().data();
        float[] beta = bn.bias().value().data();
        float[] mean = bn.runningMean().data();
        float[] var = bn.runningVar().data();
        float[] wd = w.data();
        int perOut = wd.length / out;
        for (int o = 0; o < out; o++) {
            double scale = gamma[o] / Math.sqrt(var[o] + (double) bn.eps());
            for (int i = o * perOut; i < (o + 1) * perOut; i++) {
                wd[i] = (float) (wd[i] * scale);
            }
            b[o] = (float) ((b[o] - mean[o]) * scale + beta[o]);
        }
        return new Op.Conv(conv.spec(), w, new Tensor(b, out), true, conv.act(), conv.residual());
    }
}
