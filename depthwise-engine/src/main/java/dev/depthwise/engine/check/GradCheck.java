package dev.depthwise.engine.check;

import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * Finite-difference gradient checks, as {@code torch.autograd.gradcheck} but for float32 kernels:
 * central differences on a sample of coordinates, compared to the analytic gradient with a
 * relative tolerance suited to single precision. Public so that users who add ops can check them too.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /** A fixed random weighting that turns an output into a scalar loss, so every output element matters. */
    public static float[] randomWeights(int n, long seed) {
        Random r = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) r.nextGaussian();
        }
        return w;
    }

    /** {@code sum(out * weights)} in double precision. */
    public static double weightedSum(float[] out, float[] weights) {
        double s = 0;
        for (int i = 0; i < out.length; i++) {
            s += (double) out[i] * weights[i];
        }
        return s;
    }

    /**
     * Checks {@code analytic} (d loss / d x) against central differences of {@code loss} in {@code x}.
     * {@code loss} must recompute from the current contents of {@code x}. Checks at most
     * {@code samples} coordinates (all if fewer), chosen with {@code seed}.
     *
     * @throws AssertionError naming {@code what}, the coordinate and both values on a mismatch
     */
    public static void check(String what, float[] x, float[] analytic, DoubleSupplier loss,
                             int samples, long seed) {
        check(what, x, analytic, loss, samples, seed, 1e-2f, 2e-2, 2e-3);
    }

    /** As {@link #check(String, float[], float[], DoubleSupplier, int, long)} with explicit step and tolerances. */
    public static void check(String what, float[] x, float[] analytic, DoubleSupplier loss,
                             int samples, long seed, float step, double rtol, double atol) {
        if (x.length != analytic.length) {
            throw new IllegalArgumentException(what + ": gradient has " + analytic.length
                    + " elements for an input of " + x.length);
        }
        Random r = new Random(seed);
        int count = Math.min(samples, x.length);
        double scale = 0;
        for (float g : analytic) {
            scale = Math.max(scale, Math.abs(g));
        }
        for (int s = 0; s < count; s++) {
            int i = count == x.length ? s : r.nextInt(x.length);
            float saved = x[i];
            x[i] = saved + step;
            double plus = loss.getAsDouble();
            x[i] = saved - step;
            double minus = loss.getAsDouble();
            x[i] = saved;
            double numeric = (plus - minus) / (2.0 * step);
            double a = analytic[i];
            double tol = atol * Math.max(1.0, scale) + rtol * Math.max(Math.abs(a), Math.abs(numeric));
            if (!(Math.abs(a - numeric) <= tol)) {
                throw new AssertionError(String.format(
                        "%s: gradient mismatch at element %d: analytic %.6g, numeric %.6g (tolerance %.3g)",
                        what, i, a, numeric, tol));
            }
        }
    }
}
