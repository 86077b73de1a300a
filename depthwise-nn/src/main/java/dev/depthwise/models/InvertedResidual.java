package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ElementwiseOp;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Conv2dNormActivation;
import dev.depthwise.nn.Lowering;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.ReLU6;
import dev.depthwise.nn.Sequential;

/**
 * MobileNetV2's block, as torchvision's {@code InvertedResidual}: 1×1 expansion to round(in·t) channels
 * + BN + ReLU6 (skipped when t = 1), 3×3 depthwise with the block's stride + BN + ReLU6, 1×1 linear
 * projection + BN. The input is added back only when the shape is kept (stride 1, in == out).
 */
public final class InvertedResidual extends Module {
    private final Sequential conv;
    private final boolean useResidual;
    private final int outChannels;
    private Tensor out;

    public InvertedResidual(int in, int out, int stride, int expandRatio) {
        if (stride != 1 && stride != 2) {
            throw new IllegalArgumentException("InvertedResidual: stride must be 1 or 2, got " + stride);
        }
        int hidden = Math.round(in * (float) expandRatio);
        Sequential layers = new Sequential();
        if (expandRatio != 1) {
            layers.add(new Conv2dNormActivation(in, hidden, 1, 1, 1, new ReLU6(true)));
        }
        layers.add(new Conv2dNormActivation(hidden, hidden, 3, stride, hidden, new ReLU6(true)));
        layers.add(new Conv2d(hidden, out, 1, 1, 0, 1, false));
        layers.add(new BatchNorm2d(out));
        this.conv = addModule("conv", layers);
        this.useResidual = stride == 1 && in == out;
        this.outChannels = out;
    }

    public boolean usesResidual() {
        return useResidual;
    }

    public int outChannels() {
        return outChannels;
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        Lowering.Value y = g.lower("conv", conv, x);
        return useResidual ? g.add(x, y) : y;
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        Tensor y = conv.forward(x);
        if (!useResidual) {
            return y;
        }
        out = reuse(out, y.shape());
        ElementwiseOp.add(x, y, out);
        return out;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        Tensor g = conv.backward(gradOut);
        if (!useResidual) {
            return g;
        }
        // d(x + f(x))/dx = 1 + f'(x): the skip's gradient is gradOut itself.
        Tensor gradInput = borrow(g.shape());
        ElementwiseOp.add(g, gradOut, gradInput);
        giveBack(g);
        return gradInput;
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return useResidual || conv.backwardReturnsOwnBuffer();
    }
}
