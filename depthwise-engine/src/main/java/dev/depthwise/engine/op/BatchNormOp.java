package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static dev.depthwise.engine.op.OpChecks.fail;
import static dev.depthwise.engine.op.OpChecks.length;
import static dev.depthwise.engine.op.OpChecks.planeSize;
import static dev.depthwise.engine.op.OpChecks.rankAtLeast;
import static dev.depthwise.engine.op.OpChecks.required;
import static dev.depthwise.engine.op.OpChecks.sameShape;

/**
 * BatchNorm2d as PyTorch: per channel of an NCHW (or NC) tensor. Training mode normalises with the
 * batch mean and the biased batch variance and moves the running statistics towards the batch mean
 * and the UNBIASED batch variance with {@code momentum}; eval mode normalises with the running
 * statistics. {@code gamma}/{@code beta} may be null (non-affine).
 *
 * <p>Every pass is one sweep per channel over N planes, so the work is split over channels. Sums are
 * taken in float vectors and flushed to double every {@link #FLUSH} elements: single-precision
 * accumulation over a 112x112 plane would otherwise lose about four digits. The mean is summed from
 * one of the channel's own values and everything else from the mean, so a channel whose mean dwarfs
 * its spread (mean 1000, std 0.05 in the tests) keeps the gradient within 1e-4.
 */
public final class BatchNormOp {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Elements summed in float lanes before the partial sum is moved to double. */
    private static final int FLUSH = 1024;
    /** Elements in a partial sum that spans planes smaller than {@link #FLUSH}. */
    private static final int SMALL_PLANES_FLUSH = 256;
    /** Fewer elements than this per task cost more in scheduling than they save. */
    private static final int GRAIN_ELEMENTS = 1 << 14;

    private BatchNormOp() {
    }

    /** Training-mode forward; {@code saveMean}/{@code saveInvStd} receive what {@link #backward} needs. */
    public static void forwardTrain(Tensor x, float[] gamma, float[] beta, float[] runningMean, float[] runningVar,
                                    float momentum, float eps, Tensor out, float[] saveMean, float[] saveInvStd) {
        forwardTrain(x, gamma, beta, runningMean, runningVar, momentum, eps, out, saveMean, saveInvStd,
                Activation.NONE);
    }

    /**
     * As {@link #forwardTrain(Tensor, float[], float[], float[], float[], float, float, Tensor, float[], float[])},
     * with the ReLU or ReLU6 that follows applied as the output is stored: one pass over the activations fewer, and
     * the same values as the activation run after it. Its backward is then {@link #backward(Tensor, Tensor, float[],
     * float[], float[], float[], Activation, Tensor, float[], float[])} with the same activation.
     */
    public static void forwardTrain(Tensor x, float[] gamma, float[] beta, float[] runningMean, float[] runningVar,
                                    float momentum, float eps, Tensor out, float[] saveMean, float[] saveInvStd,
                                    Activation act) {
        String op = "BatchNormOp.forwardTrain";
        int channels = checkCommon(op, x, gamma, beta, runningMean, runningVar, out);
        length(op, "saveMean", saveMean, channels, "channels of x " + x.shapeString());
        length(op, "saveInvStd", saveInvStd, channels, "channels of x " + x.shapeString());
        int batch = x.dim(0);
        int plane = planeSize(x);
        long count = (long) batch * plane;
        if (count < 2) {
            throw fail(op, "expected more than 1 value per channel when training, got input " + x.shapeString());
        }
        float[] xs = x.data();
        float[] os = out.data();
        Parallel.forRange(channels, grain(count), (from, to) -> {
            for (int c = from; c < to; c++) {
                // summing x - shift, with shift one of the values, keeps float lanes accurate when |mean| >> std
                float shift0 = xs[c * plane];
                int stride = channels * plane;
                double sum = sum(xs, c * plane, stride, batch, plane, shift0);
                float mean = (float) (shift0 + sum / count);
                double squares = sumSquaredDeviation(xs, c * plane, stride, batch, plane, mean);
                double var = squares / count;
                float invStd = (float) (1.0 / Math.sqrt(var + eps));
                float scale = scale(gamma, c, invStd);
                float shift = shift(beta, c, mean, scale);
                for (int n = 0; n < batch; n++) {
                    int off = (n * channels + c) * plane;
                    scaleShift(xs, os, off, plane, scale, shift, act.lo, act.hi);
                }
                if (runningMean != null) {
                    runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean;
                }
                if (runningVar != null) {
                    runningVar[c] = (float) ((1 - momentum) * runningVar[c] + momentum * squares / (count - 1));
                }
                if (saveMean != null) {
                    saveMean[c] = mean;
                }
                if (saveInvStd != null) {
                    saveInvStd[c] = invStd;
                }
            }
        });
    }

    /** Eval-mode forward: normalises with the running statistics; nothing is updated. */
    public static void forwardEval(Tensor x, float[] gamma, float[] beta, float[] runningMean, float[] runningVar,
                                   float eps, Tensor out) {
        forwardEval(x, gamma, beta, runningMean, runningVar, eps, out, Activation.NONE);
    }

    /** As {@link #forwardEval(Tensor, float[], float[], float[], float[], float, Tensor)}, then {@code act}. */
    public static void forwardEval(Tensor x, float[] gamma, float[] beta, float[] runningMean, float[] runningVar,
                                   float eps, Tensor out, Activation act) {
        String op = "BatchNormOp.forwardEval";
        int channels = checkCommon(op, x, gamma, beta, runningMean, runningVar, out);
        required(op, "runningMean", runningMean);
        required(op, "runningVar", runningVar);
        int batch = x.dim(0);
        int plane = planeSize(x);
        float[] xs = x.data();
        float[] os = out.data();
        Parallel.forRange(channels, grain((long) batch * plane), (from, to) -> {
            for (int c = from; c < to; c++) {
                float invStd = (float) (1.0 / Math.sqrt(runningVar[c] + (double) eps));
                float scale = (gamma == null ? 1f : gamma[c]) * invStd;
                float shift = (beta == null ? 0f : beta[c]) - runningMean[c] * scale;
                for (int n = 0; n < batch; n++) {
                    scaleShift(xs, os, (n * channels + c) * plane, plane, scale, shift, act.lo, act.hi);
                }
            }
        });
    }

    /**
     * Training-mode backward from the statistics saved by {@link #forwardTrain}. {@code gradX} is
     * overwritten (it may be {@code gradOut} itself); {@code gradGamma}/{@code gradBeta} are accumulated.
     */
    public static void backward(Tensor x, Tensor gradOut, float[] gamma, float[] saveMean, float[] saveInvStd,
                                Tensor gradX, float[] gradGamma, float[] gradBeta) {
        backward(x, gradOut, gamma, null, saveMean, saveInvStd, Activation.NONE, gradX, gradGamma, gradBeta);
    }

    /**
     * The backward of a training-mode forward that applied {@code act} ({@code gradOut} is the gradient of the
     * activation's output): the activation's mask is taken from the normalised values, recomputed from {@code x},
     * the saved statistics, {@code gamma} and {@code beta} exactly as the forward computed them, plane by plane while
     * the plane is in cache, so the activation's own backward pass over the tensors is not needed.
     */
    public static void backward(Tensor x, Tensor gradOut, float[] gamma, float[] beta, float[] saveMean,
                                float[] saveInvStd, Activation act, Tensor gradX, float[] gradGamma,
                                float[] gradBeta) {
        String op = "BatchNormOp.backward";
        rankAtLeast(op, "x", x, 2);
        int channels = x.dim(1);
        String context = "channels of x " + x.shapeString();
        sameShape(op, "x", x, "gradOut", gradOut);
        if (gradX != null) {
            sameShape(op, "x", x, "gradX", gradX);
        }
        length(op, "gamma", gamma, channels, context);
        length(op, "saveMean", required(op, "saveMean", saveMean), channels, context);
        length(op, "saveInvStd", required(op, "saveInvStd", saveInvStd), channels, context);
        length(op, "gradGamma", gradGamma, channels, context);
        length(op, "gradBeta", gradBeta, channels, context);
        length(op, "beta", beta, channels, context);
        if (act != Activation.NONE && gradX == null) {
            throw fail(op, "gradX is required with a fused " + act + " (the masked gradient passes through it)");
        }
        int batch = x.dim(0);
        int plane = planeSize(x);
        long count = (long) batch * plane;
        float[] xs = x.data();
        float[] dys = gradOut.data();
        float[] dxs = gradX == null ? null : gradX.data();
        // Small planes are swept a few at a time, enough to fill a partial sum (see flushVectors).
        int group = Math.max(1, SMALL_PLANES_FLUSH / Math.max(1, plane));
        Parallel.forRange(channels, grain(count), (from, to) -> {
            double[] planeSums = PLANE_SUMS.get();
            for (int c = from; c < to; c++) {
                float mean = saveMean[c];
                float invStd = saveInvStd[c];
                float scale = scale(gamma, c, invStd);
                float shift = shift(beta, c, mean, scale);
                double sumDy = 0;
                double sumDyCentered = 0;
                int stride = channels * plane;
                for (int n0 = 0; n0 < batch; n0 += group) {
                    int planes = Math.min(group, batch - n0);
                    int off = (n0 * channels + c) * plane;
                    if (act != Activation.NONE) {
                        // The planes are still in cache for the sums that follow, so this sweep costs little memory.
                        for (int n = 0; n < planes; n++) {
                            maskGradient(dys, xs, dxs, off + n * stride, plane, scale, shift, act.lo, act.hi);
                        }
                    }
                    sumAndProductCentered(act == Activation.NONE ? dys : dxs, xs, off, stride, planes, plane, mean,
                            planeSums);
                    sumDy += planeSums[0];
                    sumDyCentered += planeSums[1];
                }
                if (gradBeta != null) {
                    gradBeta[c] += (float) sumDy;
                }
                if (gradGamma != null) {
                    gradGamma[c] += (float) (sumDyCentered * invStd);
                }
                if (dxs != null) {
                    // dx = k*(dy - mean(dy) - xhat*mean(dy*xhat)), k = gamma*invStd, written as
                    // a*dy + b*(x - mean) + c0; centring x first avoids cancellation when |mean| >> std
                    double k = (gamma == null ? 1.0 : gamma[c]) * (double) invStd;
                    double b = -k * invStd * invStd * sumDyCentered / count;
                    double c0 = -k * sumDy / count;
                    for (int n = 0; n < batch; n++) {
                        // With an activation, gradX holds the masked gradient by now.
                        linearCombination(act == Activation.NONE ? dys : dxs, xs, dxs, (n * channels + c) * plane,
                                plane, (float) k, (float) b, (float) c0, mean);
                    }
                }
            }
        });
    }

    /** Per thread: the two sums of {@link #sumAndProductCentered}. */
    private static final ThreadLocal<double[]> PLANE_SUMS = ThreadLocal.withInitial(() -> new double[2]);

    private static int checkCommon(String op, Tensor x, float[] gamma, float[] beta, float[] runningMean,
                                   float[] runningVar, Tensor out) {
        rankAtLeast(op, "x", x, 2);
        sameShape(op, "x", x, "out", out);
        int channels = x.dim(1);
        String context = "channels of x " + x.shapeString();
        length(op, "gamma", gamma, channels, context);
        length(op, "beta", beta, channels, context);
        length(op, "runningMean", runningMean, channels, context);
        length(op, "runningVar", runningVar, channels, context);
        return channels;
    }

    /** The forward's per-channel scale and shift, {@code out = x * scale + shift}; the backward recomputes them. */
    private static float scale(float[] gamma, int c, float invStd) {
        return (gamma == null ? 1f : gamma[c]) * invStd;
    }

    private static float shift(float[] beta, int c, float mean, float scale) {
        return (beta == null ? 0f : beta[c]) - mean * scale;
    }

    private static int grain(long elementsPerChannel) {
        return (int) Math.max(1, GRAIN_ELEMENTS / Math.max(1, elementsPerChannel));
    }

    // sum, sumSquaredDeviation and sumAndProductCentered repeat the loop on purpose: one loop taking the element body
    // as a lambda would be called with three bodies, so the JIT could no longer inline it.
    //
    // Each sweeps `planes` runs of `len` floats, `stride` apart from `off` (one channel's planes of consecutive
    // images), as one flat vector loop that steps to the next plane as it reaches a plane's last whole vector: a
    // partial sum then spans small planes, where a sum per plane cost a lane reduction per 16 floats at 4x4 (one per
    // SMALL_PLANES_FLUSH floats now), and no vector is carried through a nested loop, which JDK 17's C2 may box. The planes'
    // tails, the floats past their last whole vector, are summed after it.

    /**
     * Vectors in a partial sum: {@link #FLUSH} floats, or on planes smaller than that {@link #SMALL_PLANES_FLUSH}
     * (several small planes): partial sums as long as FLUSH on 2x2 to 8x8 planes moved a SegNet step's gradients
     * (WinogradTrainingStepTest) further than the plane-by-plane sums had.
     */
    private static int flushVectors(int len) {
        return (len >= FLUSH ? FLUSH : SMALL_PLANES_FLUSH) / S.length();
    }

    /** sum(a - shift) over the planes. */
    private static double sum(float[] a, int off, int stride, int planes, int len, float shift) {
        FloatVector s = FloatVector.broadcast(S, shift);
        int whole = S.loopBound(len);
        int vectors = planes * (whole / S.length());
        double total = 0;
        FloatVector acc = FloatVector.zero(S);
        int flush = flushVectors(len);
        for (int v = 0, p = off, planeEnd = off + whole, untilFlush = flush; v < vectors; v++) {
            acc = acc.add(FloatVector.fromArray(S, a, p).sub(s));
            p += S.length();
            if (p == planeEnd) {
                p += stride - whole;
                planeEnd += stride;
            }
            if (--untilFlush == 0) {
                total += acc.reduceLanes(VectorOperators.ADD);
                acc = FloatVector.zero(S);
                untilFlush = flush;
            }
        }
        total += acc.reduceLanes(VectorOperators.ADD);
        double tail = 0;
        for (int n = 0; n < planes && whole < len; n++) {
            for (int i = off + n * stride + whole, end = off + n * stride + len; i < end; i++) {
                tail += a[i] - shift;
            }
        }
        return total + tail;
    }

    /** sum((a - mean)^2) over the planes. */
    private static double sumSquaredDeviation(float[] a, int off, int stride, int planes, int len, float mean) {
        FloatVector m = FloatVector.broadcast(S, mean);
        int whole = S.loopBound(len);
        int vectors = planes * (whole / S.length());
        double total = 0;
        FloatVector acc = FloatVector.zero(S);
        int flush = flushVectors(len);
        for (int v = 0, p = off, planeEnd = off + whole, untilFlush = flush; v < vectors; v++) {
            FloatVector d = FloatVector.fromArray(S, a, p).sub(m);
            acc = d.fma(d, acc);
            p += S.length();
            if (p == planeEnd) {
                p += stride - whole;
                planeEnd += stride;
            }
            if (--untilFlush == 0) {
                total += acc.reduceLanes(VectorOperators.ADD);
                acc = FloatVector.zero(S);
                untilFlush = flush;
            }
        }
        total += acc.reduceLanes(VectorOperators.ADD);
        double tail = 0;
        for (int n = 0; n < planes && whole < len; n++) {
            for (int i = off + n * stride + whole, end = off + n * stride + len; i < end; i++) {
                float d = a[i] - mean;
                tail += d * d;
            }
        }
        return total + tail;
    }

    /**
     * sum(dy) into {@code sums[0]} and sum(dy * (x - mean)) into {@code sums[1]} over the planes, in one sweep
     * (dy is read once instead of twice); each sum is taken exactly as {@link #sum} would take it alone.
     */
    private static void sumAndProductCentered(float[] dy, float[] x, int off, int stride, int planes, int len,
                                              float mean, double[] sums) {
        FloatVector m = FloatVector.broadcast(S, mean);
        int whole = S.loopBound(len);
        int vectors = planes * (whole / S.length());
        double total = 0;
        double totalCentered = 0;
        FloatVector acc = FloatVector.zero(S);
        FloatVector accCentered = FloatVector.zero(S);
        int flush = flushVectors(len);
        for (int v = 0, p = off, planeEnd = off + whole, untilFlush = flush; v < vectors; v++) {
            FloatVector g = FloatVector.fromArray(S, dy, p);
            acc = acc.add(g);
            accCentered = FloatVector.fromArray(S, x, p).sub(m).fma(g, accCentered);
            p += S.length();
            if (p == planeEnd) {
                p += stride - whole;
                planeEnd += stride;
            }
            if (--untilFlush == 0) {
                total += acc.reduceLanes(VectorOperators.ADD);
                totalCentered += accCentered.reduceLanes(VectorOperators.ADD);
                acc = FloatVector.zero(S);
                accCentered = FloatVector.zero(S);
                untilFlush = flush;
            }
        }
        total += acc.reduceLanes(VectorOperators.ADD);
        totalCentered += accCentered.reduceLanes(VectorOperators.ADD);
        double tail = 0;
        double tailCentered = 0;
        for (int n = 0; n < planes && whole < len; n++) {
            for (int i = off + n * stride + whole, end = off + n * stride + len; i < end; i++) {
                tail += dy[i];
                tailCentered += (x[i] - mean) * dy[i];
            }
        }
        sums[0] = total + tail;
        sums[1] = totalCentered + tailCentered;
    }

    /**
     * dx = dy where the forward's output {@code x * scale + shift} (recomputed as the forward computed it: fused in the
     * vector loop, multiplied then added in the tail) was strictly inside {@code (lo, hi)}, else 0, over one plane, as
     * ActivationOp's backward; {@code dx} may be {@code dy}. Its own sweep, not a mask inside the sums' loop: C2 boxed
     * the masks there once it had compiled that loop for other layers first (bench train, JFR). An infinite
     * pre-activation, where training has diverged already, passes no gradient even under a ReLU.
     */
    private static void maskGradient(float[] dy, float[] x, float[] dx, int off, int len, float scale, float shift,
                                     float lo, float hi) {
        FloatVector vs = FloatVector.broadcast(S, scale);
        FloatVector vb = FloatVector.broadcast(S, shift);
        FloatVector low = FloatVector.broadcast(S, lo);
        FloatVector high = FloatVector.broadcast(S, hi);
        FloatVector zero = FloatVector.zero(S);
        int bound = S.loopBound(len);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector y = FloatVector.fromArray(S, x, off + i).fma(vs, vb);
            VectorMask<Float> pass = y.compare(VectorOperators.GT, low).and(y.compare(VectorOperators.LT, high));
            zero.blend(FloatVector.fromArray(S, dy, off + i), pass).intoArray(dx, off + i);
        }
        for (; i < len; i++) {
            float y = x[off + i] * scale + shift;
            dx[off + i] = y > lo && y < hi ? dy[off + i] : 0f;
        }
    }

    /** out = x * scale + shift over one plane; {@code out} may be {@code x}. */
    static void scaleShift(float[] x, float[] out, int off, int len, float scale, float shift) {
        scaleShift(x, out, off, len, scale, shift, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
    }

    /** out = min(max(x * scale + shift, lo), hi) over one plane (NaN stays NaN); {@code out} may be {@code x}. */
    private static void scaleShift(float[] x, float[] out, int off, int len, float scale, float shift, float lo,
                                   float hi) {
        FloatVector vs = FloatVector.broadcast(S, scale);
        FloatVector vb = FloatVector.broadcast(S, shift);
        FloatVector low = FloatVector.broadcast(S, lo);
        FloatVector high = FloatVector.broadcast(S, hi);
        int bound = S.loopBound(len);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, off + i).fma(vs, vb).max(low).min(high).intoArray(out, off + i);
        }
        for (; i < len; i++) {
            out[off + i] = Math.min(Math.max(x[off + i] * scale + shift, lo), hi);
        }
    }

    /** dx = a*dy + b*(x - mean) + c over one plane; {@code dx} may be {@code dy}. */
    private static void linearCombination(float[] dy, float[] x, float[] dx, int off, int len,
                                          float a, float b, float c, float mean) {
        FloatVector va = FloatVector.broadcast(S, a);
        FloatVector vb = FloatVector.broadcast(S, b);
        FloatVector vc = FloatVector.broadcast(S, c);
        FloatVector vm = FloatVector.broadcast(S, mean);
        int bound = S.loopBound(len);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector xb = FloatVector.fromArray(S, x, off + i).sub(vm).fma(vb, vc);
            FloatVector.fromArray(S, dy, off + i).fma(va, xb).intoArray(dx, off + i);
        }
        for (; i < len; i++) {
            dx[off + i] = a * dy[off + i] + b * (x[off + i] - mean) + c;
        }
    }
}
