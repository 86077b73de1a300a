package dev.depthwise.nn.inference;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.Activation;
import dev.depthwise.engine.op.BlockedConv;
import dev.depthwise.engine.op.BlockedPool;
import dev.depthwise.engine.op.BlockedWinogradConv;
import dev.depthwise.engine.op.BlockedSeparableConv;
import dev.depthwise.engine.op.ChannelBlocks;
import dev.depthwise.engine.op.ConvSpec;
import dev.depthwise.engine.op.FusedConv;
import dev.depthwise.engine.op.PreparedOps;
import dev.depthwise.engine.op.WinogradConv;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Upsample;

import java.util.Locale;

/**
 * What a graph node computes. Each op binds to its tensors once ({@link #bind}) into a {@link Step} that runs a
 * prepared engine kernel and allocates nothing; a 5-D tensor is in the channel-blocked layout
 * ({@link ChannelBlocks}), and an op takes the blocked kernel when the layout pass gave it blocked tensors.
 */
sealed interface Op {
    /** One line for the plan printout. */
    String describe();

    Step bind(Tensor[] in, Tensor out);

    private static boolean blocked(Tensor t) {
        return t.rank() == 5;
    }

    /**
     * {@code out = act(conv(x) + bias [+ residual])}; a second input is the residual. {@code foldedNorm} says a
     * BatchNorm was folded into the weights (for the printout).
     */
    record Conv(ConvSpec spec, Tensor weight, Tensor bias, boolean foldedNorm, Activation act, boolean residual)
            implements Op {
        Conv withAct(Activation a) {
            return new Conv(spec, weight, bias, foldedNorm, a, residual);
        }

        Conv withResidual() {
            return new Conv(spec, weight, bias, foldedNorm, act, true);
        }

        @Override
        public String describe() {
            return "conv " + kernel() + (residual ? " + residual" : "") + act.suffix();
        }

        String kernel() {
            return spec.kernelH() + "x" + spec.kernelW() + (spec.isDepthwise() ? " depthwise" : "")
                    + (foldedNorm ? " + folded bn" : "");
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            Tensor res = in.length > 1 ? in[1] : null;
            return blocked(out) ? BlockedConv.prepare(spec, in[0], weight, bias, res, out, act)::run
                    : FusedConv.prepare(spec, in[0], weight, bias, res, out, act)::run;
        }
    }

    /** A blocked dense 3x3 conv at stride 1 computed by Winograd's algorithm with this output tile. */
    record Winograd(Conv conv, WinogradConv.Tile tile) implements Op {
        @Override
        public String describe() {
            return conv.describe() + " (winograd " + tile + ")";
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            return BlockedWinogradConv.prepare(conv.spec(), tile, in[0], conv.weight(), conv.bias(), out,
                    conv.act())::run;
        }
    }

    /** A blocked 3x3 depthwise conv and the pointwise conv of its output as one step, one band of rows at a time. */
    record SeparableConv(Conv depthwise, Conv pointwise) implements Op {
        @Override
        public String describe() {
            return depthwise.kernel() + depthwise.act().suffix() + " -> " + pointwise.describe().replace("conv ", "");
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            return BlockedSeparableConv.prepare(depthwise.spec(), in[0], depthwise.weight(), depthwise.bias(),
                    depthwise.act(), pointwise.spec(), pointwise.weight(), pointwise.bias(),
                    in.length > 1 ? in[1] : null, out, pointwise.act())::run;
        }
    }

    /** A BatchNorm that follows no conv (SegNet's input normalisation): a per-channel scale and shift. */
    record BatchNorm(BatchNorm2d norm, Activation act) implements Op {
        @Override
        public String describe() {
            return "batchnorm" + act.suffix();
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            Runnable scaleShift = PreparedOps.batchNormEval(in[0], norm.weight().value().data().clone(),
                    norm.bias().value().data().clone(), norm.runningMean().data().clone(),
                    norm.runningVar().data().clone(), norm.eps(), out);
            if (act == Activation.NONE) {
                return scaleShift::run;
            }
            return () -> {
                scaleShift.run();
                act.applyInPlace(out);
            };
        }
    }

    /** An activation that follows nothing it could be fused into. */
    record Act(Activation act) implements Op {
        @Override
        public String describe() {
            return act.name().toLowerCase(Locale.ROOT);
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            return () -> {
                out.copyFrom(in[0]);
                act.applyInPlace(out);
            };
        }
    }

    /**
     * Where a max pool's winners go for the unpool built on the same pool: NCHW flat indices, or the blocked pool's
     * own record. Filled when the pool is bound, which is before the unpool (nodes bind in order).
     */
    final class PoolWinners {
        int[] indices;
        float[] blockedWinners;
    }

    record MaxPool(int kernel, int stride, PoolWinners winners) implements Op {
        @Override
        public String describe() {
            return "max pool " + kernel + "x" + kernel + " with indices";
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            if (blocked(out)) {
                winners.blockedWinners = new float[out.size()];
                return BlockedPool.maxPool(in[0], out, winners.blockedWinners)::run;
            }
            winners.indices = new int[out.size()];
            return PreparedOps.maxPool(in[0], kernel, stride, out, winners.indices)::run;
        }
    }

    record MaxUnpool(PoolWinners winners) implements Op {
        @Override
        public String describe() {
            return "max unpool";
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            return winners.blockedWinners != null
                    ? BlockedPool.maxUnpool(in[0], winners.blockedWinners, out)::run
                    : PreparedOps.maxUnpool(in[0], winners.indices, out)::run;
        }
    }

    record Upsampling(Upsample.Mode mode) implements Op {
        @Override
        public String describe() {
            return "upsample " + mode.name().toLowerCase(Locale.ROOT);
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            return (mode == Upsample.Mode.NEAREST ? PreparedOps.nearest(in[0], out)
                    : PreparedOps.bilinear(in[0], out))::run;
        }
    }

    record GlobalAvgPool() implements Op {
        @Override
        public String describe() {
            return "global average pool";
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            return blocked(in[0]) ? ChannelBlocks.globalAvgPool(in[0], out, out.dim(1))::run
                    : PreparedOps.globalAvgPool(in[0], out)::run;
        }
    }

    record Linear(Tensor weight, Tensor bias) implements Op {
        @Override
        public String describe() {
            return "linear";
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            return PreparedOps.linear(in[0], weight, bias, out)::run;
        }
    }

    record Add() implements Op {
        @Override
        public String describe() {
            return "add";
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            return PreparedOps.add(in[0], in[1], out)::run;
        }
    }

    record Concat() implements Op {
        @Override
        public String describe() {
            return "concat channels";
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            return PreparedOps.concatChannels(in, out)::run;
        }
    }

    /** The same data under another shape: no step; the output shares the input's buffer. */
    record Reshape() implements Op {
        @Override
        public String describe() {
            return "reshape";
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            throw new IllegalStateException("a reshape has no step: its output views its input's buffer");
        }
    }

    /** Between the NCHW and the channel-blocked layout. */
    record Reorder(boolean toBlocked) implements Op {
        @Override
        public String describe() {
            return toBlocked ? "reorder to blocked" : "reorder to NCHW";
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            return (toBlocked ? ChannelBlocks.toBlocked(in[0], out) : ChannelBlocks.toNchw(in[0], out))::run;
        }
    }

    /** The model's output when it is its input (an identity model): the plan's output has a buffer of its own. */
    record Copy() implements Op {
        @Override
        public String describe() {
            return "copy";
        }

        @Override
        public Step bind(Tensor[] in, Tensor out) {
            return () -> out.copyFrom(in[0]);
        }
    }
}
