package dev.depthwise.engine.op;

/** The convolution written as its definition, in double precision: the yardstick for every fast path. */
final class ConvReference {
    private ConvReference() {
    }

    static float[] forward(ConvSpec s, float[] x, int[] xShape, float[] w, float[] bias) {
        int[] os = s.outputShape(xShape);
        int n = xShape[0], inH = xShape[2], inW = xShape[3], outH = os[2], outW = os[3];
        int cinG = s.inPerGroup(), coutG = s.outPerGroup();
        float[] out = new float[n * s.outChannels() * outH * outW];
        for (int img = 0; img < n; img++) {
            for (int co = 0; co < s.outChannels(); co++) {
                int g = co / coutG;
                for (int oy = 0; oy < outH; oy++) {
                    for (int ox = 0; ox < outW; ox++) {
                        double sum = bias == null ? 0 : bias[co];
                        for (int ci = 0; ci < cinG; ci++) {
                            int c = g * cinG + ci;
                            for (int ky = 0; ky < s.kernelH(); ky++) {
                                int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                                for (int kx = 0; kx < s.kernelW(); kx++) {
                                    int ix = ox * s.strideW() - s.padW() + kx * s.dilationW();
                                    if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
                                        sum += (double) x[((img * s.inChannels() + c) * inH + iy) * inW + ix]
                                                * w[((co * cinG + ci) * s.kernelH() + ky) * s.kernelW() + kx];
                                    }
                                }
                            }
                        }
                        out[((img * s.outChannels() + co) * outH + oy) * outW + ox] = (float) sum;
                    }
                }
            }
        }
        return out;
    }

    /** Returns {gradX, gradW, gradB} of {@code sum(out * gradOut)}, by the definition. */
    static float[][] backward(ConvSpec s, float[] x, int[] xShape, float[] w, float[] g) {
        int[] os = s.outputShape(xShape);
        int n = xShape[0], inH = xShape[2], inW = xShape[3], outH = os[2], outW = os[3];
        int cinG = s.inPerGroup(), coutG = s.outPerGroup();
        double[] gx = new double[x.length], gw = new double[w.length], gb = new double[s.outChannels()];
        for (int img = 0; img < n; img++) {
            for (int co = 0; co < s.outChannels(); co++) {
                int gr = co / coutG;
                for (int oy = 0; oy < outH; oy++) {
                    for (int ox = 0; ox < outW; ox++) {
                        double go = g[((img * s.outChannels() + co) * outH + oy) * outW + ox];
                        gb[co] += go;
                        for (int ci = 0; ci < cinG; ci++) {
                            int c = gr * cinG + ci;
                            for (int ky = 0; ky < s.kernelH(); ky++) {
                                int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                                for (int kx = 0; kx < s.kernelW(); kx++) {
                                    int ix = ox * s.strideW() - s.padW() + kx * s.dilationW();
                                    if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
                                        int xi = ((img * s.inChannels() + c) * inH + iy) * inW + ix;
                                        int wi = ((co * cinG + ci) * s.kernelH() + ky) * s.kernelW() + kx;
                                        gx[xi] += go * w[wi];
                                        gw[wi] += go * x[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new float[][] {toFloat(gx), toFloat(gw), toFloat(gb)};
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
