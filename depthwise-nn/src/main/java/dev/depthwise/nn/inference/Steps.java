package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.BlockedConv;
import dev.depthwise.engine.op.BlockedPool;
import dev.depthwise.engine.op.BlockedSeparableConv;
import dev.depthwise.engine.op.ChannelBlocks;
import dev.depthwise.engine.op.ConvSpec;
import dev.depthwise.engine.op.FusedConv;
import dev.depthwise.engine.op.PreparedOps;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Upsample;

/**
 * The executable steps, each bound to its tensors at plan time, running prepared engine ops that allocate nothing
 * per run; only a stand-alone activation (one not fused into a conv or BatchNorm, which none of our models has)
 * still goes through the general op.
 */
final class Steps {
    private Steps() {
    }

    /** Conv with folded BatchNorm as its bias, the residual (nullable) and the activation in its epilogue. */
    static Step conv(ConvSpec spec, Tensor x, Tensor weight, Tensor bias, Tensor residual, Tensor out,
                     Activation act) {
        return FusedConv.prepare(spec, x, weight, bias, residual, out, act.fused())::run;
    }

    /** The same conv in the channel-blocked layout: {@code out} (and {@code residual}) blocked, {@code x} either. */
    static Step blockedConv(ConvSpec spec, Tensor x, Tensor weight, Tensor bias, Tensor residual, Tensor out,
                            Activation act) {
        return BlockedConv.prepare(spec, x, weight, bias, residual, out, act.fused())::run;
    }

    /** A blocked 3x3 depthwise conv and the pointwise conv of its output, one band of rows at a time. */
    static Step separableConv(ConvSpec dw, Tensor x, FoldedConv dwFolded, Activation dwAct, ConvSpec pw,
                              FoldedConv pwFolded, Tensor residual, Tensor out, Activation pwAct) {
        return BlockedSeparableConv.prepare(dw, x, dwFolded.weight(), dwFolded.bias(), dwAct.fused(), pw,
                pwFolded.weight(), pwFolded.bias(), residual, out, pwAct.fused())::run;
    }

    static Step toBlocked(Tensor nchw, Tensor out) {
        return ChannelBlocks.toBlocked(nchw, out)::run;
    }

    static Step blockedMaxPool(Tensor x, Tensor out, float[] winners) {
        return BlockedPool.maxPool(x, out, winners)::run;
    }

    static Step blockedMaxUnpool(Tensor x, float[] winners, Tensor out) {
        return BlockedPool.maxUnpool(x, winners, out)::run;
    }

    static Step toNchw(Tensor blocked, Tensor out) {
        return ChannelBlocks.toNchw(blocked, out)::run;
    }

    static Step blockedGlobalAvgPool(Tensor blocked, Tensor out, int channels) {
        return ChannelBlocks.globalAvgPool(blocked, out, channels)::run;
    }

    /** A BatchNorm that follows no conv (SegNet's input normalisation): a per-channel scale and shift. */
    static Step batchNorm(BatchNorm2d bn, Tensor x, Tensor out, Activation act) {
        float[] gamma = bn.weight().value().data().clone();
        float[] beta = bn.bias().value().data().clone();
        float[] mean = bn.runningMean().data().clone();
        float[] var = bn.runningVar().data().clone();
        Runnable norm = PreparedOps.batchNormEval(x, gamma, beta, mean, var, bn.eps(), out);
        if (act == Activation.NONE) {
            return norm::run;
        }
        return () -> {
            norm.run();
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
        return PreparedOps.add(a, b, out)::run;
    }

    static Step maxPool(Tensor x, int kernel, int stride, Tensor out, int[] indices) {
        return PreparedOps.maxPool(x, kernel, stride, out, indices)::run;
    }

    static Step maxUnpool(Tensor x, int[] indices, Tensor out) {
        return PreparedOps.maxUnpool(x, indices, out)::run;
    }

    static Step globalAvgPool(Tensor x, Tensor out) {
        return PreparedOps.globalAvgPool(x, out)::run;
    }

    static Step linear(Tensor x, Tensor weight, Tensor bias, Tensor out) {
        return PreparedOps.linear(x, weight, bias, out)::run;
    }

    static Step upsample(Upsample.Mode mode, Tensor x, Tensor out) {
        return (mode == Upsample.Mode.NEAREST ? PreparedOps.nearest(x, out) : PreparedOps.bilinear(x, out))::run;
    }

    static Step concat(Tensor[] inputs, Tensor out) {
        return PreparedOps.concatChannels(inputs, out)::run;
    }

    static Step copy(Tensor x, Tensor out) {
        return () -> out.copyFrom(x);
    }
}
