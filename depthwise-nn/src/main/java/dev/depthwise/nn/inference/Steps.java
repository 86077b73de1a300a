package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.BatchNormOp;
import dev.depthwise.engine.op.ConvOp;
import dev.depthwise.engine.op.ConvSpec;
import dev.depthwise.engine.op.ElementwiseOp;
import dev.depthwise.engine.op.LinearOp;
import dev.depthwise.engine.op.PoolOp;
import dev.depthwise.engine.op.UpsampleOp;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Upsample;

/** The executable steps, each bound to its tensors at plan time and calling one engine op. */
final class Steps {
    private Steps() {
    }

    /** Conv with folded BatchNorm as its bias, then the activation while the output is still in cache. */
    static Step conv(ConvSpec spec, Tensor x, Tensor weight, Tensor bias, Tensor out, Activation act) {
        return () -> {
            ConvOp.forward(spec, x, weight, bias, out);
            act.applyInPlace(out);
        };
    }

    /** A BatchNorm that follows no conv (SegNet's input normalisation): a per-channel scale and shift. */
    static Step batchNorm(BatchNorm2d bn, Tensor x, Tensor out, Activation act) {
        float[] gamma = bn.weight().value().data().clone();
        float[] beta = bn.bias().value().data().clone();
        float[] mean = bn.runningMean().data().clone();
        float[] var = bn.runningVar().data().clone();
        float eps = bn.eps();
        return () -> {
            BatchNormOp.forwardEval(x, gamma, beta, mean, var, eps, out);
            act.applyInPlace(out);
        };
    }

    static Step activation(Tensor x, Tensor out, Activation act) {
        return () -> {
            out.copyFrom(x);
            act.applyInPlace(out);
        };
    }

    static Step add(Tensor a, Tensor b, Tensor out) {
        return () -> ElementwiseOp.add(a, b, out);
    }

    static Step maxPool(Tensor x, int kernel, int stride, Tensor out, int[] indices) {
        return () -> PoolOp.maxPool(x, kernel, stride, out, indices);
    }

    static Step maxUnpool(Tensor x, int[] indices, Tensor out) {
        return () -> PoolOp.maxUnpool(x, indices, out);
    }

    static Step globalAvgPool(Tensor x, Tensor out) {
        return () -> PoolOp.globalAvgPool(x, out);
    }

    static Step linear(Tensor x, Tensor weight, Tensor bias, Tensor out) {
        return () -> LinearOp.forward(x, weight, bias, out);
    }

    static Step upsample(Upsample.Mode mode, Tensor x, Tensor out) {
        return mode == Upsample.Mode.NEAREST ? () -> UpsampleOp.nearest(x, out) : () -> UpsampleOp.bilinear(x, out);
    }

    static Step concat(Tensor[] inputs, Tensor out) {
        Tensor[] parts = inputs.clone();
        return () -> ElementwiseOp.concatChannels(parts, out);
    }

    static Step copy(Tensor x, Tensor out) {
        return () -> out.copyFrom(x);
    }
}
