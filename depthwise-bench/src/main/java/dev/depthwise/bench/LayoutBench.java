package dev.depthwise.bench;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ConvOp;
import dev.depthwise.engine.op.ConvSpec;
import dev.depthwise.engine.op.Gemm;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The measurement behind the engine's memory layout (see {@code dev.depthwise.engine} package documentation):
 * forward pointwise and 3×3 depthwise convs at MobileNetV2 shapes, NCHW (the engine's kernels) against NHWC
 * (the same GEMM with the matrices the other way round; a depthwise kernel vectorised across channels, written
 * here for the comparison). A micro-benchmark, not a test; it prints median times.
 *
 * <p>Usage: {@code LayoutBench [--threads 1,2]}.
 */
public final class LayoutBench {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private LayoutBench() {
    }

    public static void main(String[] args) {
        int[] threads = args.length == 2 && args[0].equals("--threads")
                ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {1, 2};
        KernelBench.printMachine();
        System.out.printf(Locale.ROOT, "%-34s %7s %10s %10s %8s%n", "forward conv", "threads", "NCHW ms", "NHWC ms",
                "NHWC/NCHW");
        // One silent pass first, so no figure is taken while the JIT is still compiling the kernels.
        for (int pass = 0; pass < 2; pass++) {
            runAll(threads, pass == 1);
        }
    }

    private static void runAll(int[] threads, boolean print) {
        printing = print;
        for (int t : threads) {
            Parallel.setThreads(t);
            pointwise(t, 56, 24, 144);
            pointwise(t, 14, 96, 576);
            pointwise(t, 7, 320, 1280);
            depthwise(t, 112, 96, 2);
            depthwise(t, 56, 144, 1);
            depthwise(t, 14, 576, 1);
        }
    }

    private static void pointwise(int threads, int size, int cin, int cout) {
        Random r = new Random(1);
        int hw = size * size;
        ConvSpec s = ConvSpec.of(cin, cout, 1, 1, 0, 1);
        Tensor x = random(r, 1, cin, size, size);
        Tensor w = random(r, s.weightShape());
        Tensor out = Tensor.zeros(1, cout, size, size);
        float[] xNhwc = random(r, hw, cin).data();
        float[] outNhwc = new float[hw * cout];
        double nchw = median(() -> ConvOp.forward(s, x, w, null, out));
        // NHWC: out[HW x Cout] = X[HW x Cin] . W^T, W still [Cout x Cin].
        double nhwc = median(() -> Gemm.matmul(false, true, hw, cout, cin, xNhwc, 0, w.data(), 0, outNhwc, 0, false));
        report(String.format(Locale.ROOT, "pointwise %dx%dx%d->%d", size, size, cin, cout), threads, nchw, nhwc);
    }

    private static void depthwise(int threads, int size, int c, int stride) {
        Random r = new Random(2);
        ConvSpec s = ConvSpec.of(c, c, 3, stride, 1, c);
        Tensor x = random(r, 1, c, size, size);
        Tensor w = random(r, s.weightShape());
        int[] outShape = s.outputShape(x.shape());
        Tensor out = Tensor.zeros(outShape);
        float[] xNhwc = random(r, size * size * c).data();
        float[] wNhwc = random(r, 9 * c).data();
        float[] outNhwc = new float[outShape[2] * outShape[3] * c];
        double nchw = median(() -> ConvOp.forward(s, x, w, null, out));
        double nhwc = median(() -> depthwiseNhwc(xNhwc, size, size, c, wNhwc, stride, outNhwc, outShape[2], outShape[3]));
        report(String.format(Locale.ROOT, "depthwise 3x3 %dx%dx%d s%d", size, size, c, stride), threads, nchw, nhwc);
    }

    /** 3×3 depthwise, padding 1, NHWC, weights [ky][kx][c]: vectorised across channels ({@code c % L == 0}). */
    static void depthwiseNhwc(float[] x, int h, int w, int c, float[] wt, int stride, float[] out, int outH, int outW) {
        Parallel.forRange(outH, (from, to) -> {
            for (int oy = from; oy < to; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    int iy = oy * stride - 1, ix = ox * stride - 1;
                    int o = (oy * outW + ox) * c;
                    if (iy >= 0 && ix >= 0 && iy + 2 < h && ix + 2 < w) {
                        interiorPixel(x, (iy * w + ix) * c, w * c, c, wt, out, o);
                    } else {
                        borderPixel(x, h, w, c, wt, iy, ix, out, o);
                    }
                }
            }
        });
    }

    private static void interiorPixel(float[] x, int at, int rowStride, int c, float[] wt, float[] out, int o) {
        int r1 = at + rowStride, r2 = r1 + rowStride;
        for (int ch = 0; ch < c; ch += L) {
            FloatVector acc = FloatVector.fromArray(S, x, at + ch).mul(FloatVector.fromArray(S, wt, ch));
            acc = FloatVector.fromArray(S, x, at + c + ch).fma(FloatVector.fromArray(S, wt, c + ch), acc);
            acc = FloatVector.fromArray(S, x, at + 2 * c + ch).fma(FloatVector.fromArray(S, wt, 2 * c + ch), acc);
            acc = FloatVector.fromArray(S, x, r1 + ch).fma(FloatVector.fromArray(S, wt, 3 * c + ch), acc);
            acc = FloatVector.fromArray(S, x, r1 + c + ch).fma(FloatVector.fromArray(S, wt, 4 * c + ch), acc);
            acc = FloatVector.fromArray(S, x, r1 + 2 * c + ch).fma(FloatVector.fromArray(S, wt, 5 * c + ch), acc);
            acc = FloatVector.fromArray(S, x, r2 + ch).fma(FloatVector.fromArray(S, wt, 6 * c + ch), acc);
            acc = FloatVector.fromArray(S, x, r2 + c + ch).fma(FloatVector.fromArray(S, wt, 7 * c + ch), acc);
            acc = FloatVector.fromArray(S, x, r2 + 2 * c + ch).fma(FloatVector.fromArray(S, wt, 8 * c + ch), acc);
            acc.intoArray(out, o + ch);
        }
    }

    private static void borderPixel(float[] x, int h, int w, int c, float[] wt, int iy0, int ix0, float[] out, int o) {
        Arrays.fill(out, o, o + c, 0f);
        for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
                int iy = iy0 + ky, ix = ix0 + kx;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                    int src = (iy * w + ix) * c, wo = (ky * 3 + kx) * c;
                    for (int ch = 0; ch < c; ch++) {
                        out[o + ch] += x[src + ch] * wt[wo + ch];
                    }
                }
            }
        }
    }

    private static double median(Runnable call) {
        long end = System.nanoTime() + 200_000_000L;
        do {
            call.run();
        } while (System.nanoTime() < end);
        double[] t = new double[15];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            call.run();
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    private static boolean printing;

    private static void report(String name, int threads, double nchw, double nhwc) {
        if (!printing) {
            return;
        }
        System.out.printf(Locale.ROOT, "%-34s %7d %10.3f %10.3f %8.2f%n", name, threads, nchw, nhwc, nhwc / nchw);
    }

    private static Tensor random(Random r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
        return t;
    }
}
