package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;

/**
 * 2-D convolution on NCHW tensors with OIHW weights, as {@code torch.nn.functional.conv2d}: any kernel, stride,
 * zero padding, dilation and groups; optional bias. The general path lowers each image and group to a GEMM
 * through an im2col buffer.
 */
public final class ConvOp {
    private ConvOp() {
    }

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    /** A per-thread scratch array of at least {@code size} floats, grown once and reused. */
    static float[] scratch(int size) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < size) {
            holder[0] = new float[size];
        }
        return holder[0];
    }

    /** {@code out = conv(x, weight) + bias}. */
    public static void forward(ConvSpec s, Tensor x, Tensor weight, Tensor bias, Tensor out) {
        int[] outShape = checkCommon(s, x, weight, "forward");
        checkBias(s, bias, "bias");
        requireShape(out, outShape, "out", s, x);
        float[] xd = x.data();
        float[] wd = weight.data();
        float[] od = out.data();
        int n = x.n();
        int inH = x.h(), inW = x.w(), outH = outShape[2], outW = outShape[3];
        int ohw = outH * outW;
        int cinG = s.inPerGroup(), coutG = s.outPerGroup();
        int kk = cinG * s.kernelH() * s.kernelW();
        float[] col = scratch(kk * ohw);
        for (int img = 0; img < n; img++) {
            for (int g = 0; g < s.groups(); g++) {
                int xOff = (img * s.inChannels() + g * cinG) * inH * inW;
                im2col(s, xd, xOff, cinG, inH, inW, outH, outW, col);
                int oOff = (img * s.outChannels() + g * coutG) * ohw;
                Gemm.matmul(false, false, coutG, ohw, kk, wd, g * coutG * kk, col, 0, od, oOff, false);
            }
            if (bias != null) {
                float[] bd = bias.data();
                for (int co = 0; co < s.outChannels(); co++) {
                    int base = (img * s.outChannels() + co) * ohw;
                    for (int i = 0; i < ohw; i++) {
                        od[base + i] += bd[co];
                    }
                }
            }
        }
    }

    /**
     * Gradients of {@link #forward}: {@code gradX} is overwritten, {@code gradW} and {@code gradB} are accumulated.
     * Each of them may be null to skip it.
     */
    public static void backward(ConvSpec s, Tensor x, Tensor weight, Tensor gradOut,
                                Tensor gradX, Tensor gradW, Tensor gradB) {
        int[] outShape = checkCommon(s, x, weight, "backward");
        requireShape(gradOut, outShape, "gradOut", s, x);
        if (gradX != null) {
            requireShape(gradX, x.shape(), "gradX", s, x);
        }
        if (gradW != null) {
            requireShape(gradW, s.weightShape(), "gradW", s, x);
        }
        checkBias(s, gradB, "gradB");
        float[] xd = x.data();
        float[] wd = weight.data();
        float[] gd = gradOut.data();
        int n = x.n();
        int inH = x.h(), inW = x.w(), outH = outShape[2], outW = outShape[3];
        int ohw = outH * outW;
        int cinG = s.inPerGroup(), coutG = s.outPerGroup();
        int kk = cinG * s.kernelH() * s.kernelW();
        if (gradB != null) {
            float[] gb = gradB.data();
            for (int img = 0; img < n; img++) {
                for (int co = 0; co < s.outChannels(); co++) {
                    int base = (img * s.outChannels() + co) * ohw;
                    float sum = 0;
                    for (int i = 0; i < ohw; i++) {
                        sum += gd[base + i];
                    }
                    gb[co] += sum;
                }
            }
        }
        if (gradX == null && gradW == null) {
            return;
        }
        float[] col = scratch(kk * ohw);
        if (gradX != null) {
            gradX.fill(0f);
        }
        for (int img = 0; img < n; img++) {
            for (int g = 0; g < s.groups(); g++) {
                int xOff = (img * s.inChannels() + g * cinG) * inH * inW;
                int gOff = (img * s.outChannels() + g * coutG) * ohw;
                if (gradW != null) {
                    im2col(s, xd, xOff, cinG, inH, inW, outH, outW, col);
                    Gemm.matmul(false, true, coutG, kk, ohw, gd, gOff, col, 0, gradW.data(), g * coutG * kk, true);
                }
                if (gradX != null) {
                    Gemm.matmul(true, false, kk, ohw, coutG, wd, g * coutG * kk, gd, gOff, col, 0, false);
                    col2im(s, col, cinG, inH, inW, outH, outW, gradX.data(), xOff);
                }
            }
        }
    }

    /** Lays out the receptive fields of {@code cin} channels as rows {@code (c, ky, kx)} by columns {@code (oy, ox)}. */
    static void im2col(ConvSpec s, float[] x, int xOff, int cin, int inH, int inW, int outH, int outW, float[] col) {
        int kh = s.kernelH(), kw = s.kernelW();
        int row = 0;
        for (int c = 0; c < cin; c++) {
            int plane = xOff + c * inH * inW;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++, row++) {
                    int dst = row * outH * outW;
                    for (int oy = 0; oy < outH; oy++) {
                        int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                        boolean rowInside = iy >= 0 && iy < inH;
                        for (int ox = 0; ox < outW; ox++, dst++) {
                            int ix = ox * s.strideW() - s.padW() + kx * s.dilationW();
                            col[dst] = rowInside && ix >= 0 && ix < inW ? x[plane + iy * inW + ix] : 0f;
                        }
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2col}: adds each column entry back onto the input pixel it came from. */
    static void col2im(ConvSpec s, float[] col, int cin, int inH, int inW, int outH, int outW, float[] gx, int xOff) {
        int kh = s.kernelH(), kw = s.kernelW();
        int row = 0;
        for (int c = 0; c < cin; c++) {
            int plane = xOff + c * inH * inW;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++, row++) {
                    int src = row * outH * outW;
                    for (int oy = 0; oy < outH; oy++) {
                        int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                        if (iy < 0 || iy >= inH) {
                            src += outW;
                            continue;
                        }
                        for (int ox = 0; ox < outW; ox++, src++) {
                            int ix = ox * s.strideW() - s.padW() + kx * s.dilationW();
                            if (ix >= 0 && ix < inW) {
                                gx[plane + iy * inW + ix] += col[src];
                            }
                        }
                    }
                }
            }
        }
    }

    private static int[] checkCommon(ConvSpec s, Tensor x, Tensor weight, String what) {
        if (s == null || x == null || weight == null) {
            throw new IllegalArgumentException("conv " + what + ": spec, input and weight must not be null");
        }
        int[] outShape = s.outputShape(x.shape());
        if (!weight.hasShape(s.weightShape())) {
            throw new IllegalArgumentException("conv " + what + ": weight " + weight.shapeString() + " should be "
                    + Tensor.shapeString(s.weightShape()) + " for " + s);
        }
        return outShape;
    }

    private static void checkBias(ConvSpec s, Tensor bias, String name) {
        if (bias != null && bias.size() != s.outChannels()) {
            throw new IllegalArgumentException("conv: " + name + " " + bias.shapeString() + " should have "
                    + s.outChannels() + " elements for " + s);
        }
    }

    private static void requireShape(Tensor t, int[] expected, String name, ConvSpec s, Tensor x) {
        if (t == null) {
            throw new IllegalArgumentException("conv: " + name + " must not be null");
        }
        if (!t.hasShape(expected)) {
            throw new IllegalArgumentException("conv: " + name + " " + t.shapeString() + " should be "
                    + Tensor.shapeString(expected) + " for input " + x.shapeString() + " and " + s);
        }
    }
}
