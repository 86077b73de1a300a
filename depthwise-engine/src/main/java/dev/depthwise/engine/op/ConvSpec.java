package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;

/**
 * The hyper-parameters of a 2-D convolution, as {@code torch.nn.Conv2d}: channels, kernel, stride,
 * zero padding, dilation and groups. Immutable and validated on construction.
 */
public record ConvSpec(int inChannels, int outChannels, int kernelH, int kernelW, int strideH, int strideW,
                       int padH, int padW, int dilationH, int dilationW, int groups) {

    public ConvSpec {
        if (inChannels < 1 || outChannels < 1 || kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1
                || padH < 0 || padW < 0 || dilationH < 1 || dilationW < 1 || groups < 1) {
            throw new IllegalArgumentException("conv: invalid spec " + describe(inChannels, outChannels, kernelH,
                    kernelW, strideH, strideW, padH, padW, dilationH, dilationW, groups));
        }
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("conv: in channels " + inChannels + " and out channels "
                    + outChannels + " must both be divisible by groups " + groups);
        }
    }

    /** A square kernel with equal stride and padding on both axes and no dilation. */
    public static ConvSpec of(int in, int out, int kernel, int stride, int padding, int groups) {
        return new ConvSpec(in, out, kernel, kernel, stride, stride, padding, padding, 1, 1, groups);
    }

    /** Input channels seen by each output channel. */
    public int inPerGroup() {
        return inChannels / groups;
    }

    public int outPerGroup() {
        return outChannels / groups;
    }

    /** One weight per input channel and output channel, as {@code groups == in == out}. */
    public boolean isDepthwise() {
        return groups == inChannels && groups == outChannels;
    }

    /** A 1×1 kernel at stride 1 without padding: each output pixel reads only its own input pixel. */
    public boolean isPointwise() {
        return kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0;
    }

    /** {@code [out, in/groups, kh, kw]}, PyTorch's OIHW. */
    public int[] weightShape() {
        return new int[] {outChannels, inChannels / groups, kernelH, kernelW};
    }

    /** Output height for an input of height {@code inH} (no validation; see {@link #outputShape}). */
    public int outputHeight(int inH) {
        return (inH + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH + 1;
    }

    /** Output width for an input of width {@code inW} (no validation; see {@link #outputShape}). */
    public int outputWidth(int inW) {
        return (inW + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW + 1;
    }

    /** Whether an input of this shape fits: NCHW with the right channels and the kernel inside the padded plane. */
    boolean accepts(int rank, int channels, int inH, int inW) {
        return rank == 4 && channels == inChannels && dilationH * (kernelH - 1) + 1 <= inH + 2 * padH
                && dilationW * (kernelW - 1) + 1 <= inW + 2 * padW;
    }

    /** The NCHW output shape for an NCHW input shape; throws if the input does not fit this conv. */
    public int[] outputShape(int[] inputShape) {
        if (inputShape.length != 4) {
            throw new IllegalArgumentException("conv " + this + ": input must be NCHW (rank 4), got "
                    + Tensor.shapeString(inputShape));
        }
        if (inputShape[1] != inChannels) {
            throw new IllegalArgumentException("conv: input " + Tensor.shapeString(inputShape) + " has "
                    + inputShape[1] + " channels, the conv expects " + inChannels + " (" + this + ")");
        }
        int effH = dilationH * (kernelH - 1) + 1;
        int effW = dilationW * (kernelW - 1) + 1;
        int paddedH = inputShape[2] + 2 * padH;
        int paddedW = inputShape[3] + 2 * padW;
        if (effH > paddedH || effW > paddedW) {
            throw new IllegalArgumentException("conv: kernel " + effH + "x" + effW + " (with dilation) is larger than the padded input "
                    + paddedH + "x" + paddedW + " of input " + Tensor.shapeString(inputShape) + " (" + this + ")");
        }
        int outH = (paddedH - effH) / strideH + 1;
        int outW = (paddedW - effW) / strideW + 1;
        return new int[] {inputShape[0], outChannels, outH, outW};
    }

    @Override
    public String toString() {
        return describe(inChannels, outChannels, kernelH, kernelW, strideH, strideW, padH, padW, dilationH,
                dilationW, groups);
    }

    private static String describe(int in, int out, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                                   int g) {
        return "Conv2d(" + in + ", " + out + ", kernel=" + kh + "x" + kw + ", stride=" + sh + "x" + sw
                + ", padding=" + ph + "x" + pw + ", dilation=" + dh + "x" + dw + ", groups=" + g + ")";
    }
}
