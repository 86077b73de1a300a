package dev.depthwise.train;

import dev.depthwise.data.RgbImage;

/**
 * The guided filter with a colour guide (He, Sun and Tang, TPAMI 2013, section 3.5) in its fast form (He and Sun,
 * 2015): the linear coefficients are fitted on a copy downscaled by {@code scale} and upsampled bilinearly, then
 * applied to the full-resolution guide. Box means run as running sums, so the cost does not depend on the radius.
 *
 * <p>Its cost is eighteen box means over the photo, so they are written for the CPU: the products of the guide's
 * channels are formed inside the box mean's row pass instead of as arrays of their own, a row's sums are prefix sums
 * (one dependent add per pixel instead of an add and a subtract), and counts are divided once, not per pixel. Sums
 * stay in double: the covariances below subtract means of similar size, and eps is only 1e-3.
 */
final class GuidedFilter {
    private GuidedFilter() {
    }

    /**
     * {@code p} (row by row, the guide's size) filtered with the photo as guide.
     *
     * @param scale  downscale factor for fitting the coefficients (1: at full resolution)
     * @param radius window radius at the downscaled size
     * @param eps    regularisation, for intensities in 0..1
     */
    static float[] filter(RgbImage guide, float[] p, int scale, int radius, float eps) {
        int w = guide.width();
        int h = guide.height();
        int plane = w * h;
        int sw = (w + scale - 1) / scale;
        int sh = (h + scale - 1) / scale;
        float[][] full = new float[3][plane];
        byte[] rgb = guide.rgb();
        for (int i = 0; i < plane; i++) {
            full[0][i] = (rgb[i * 3] & 0xff) / 255f;
            full[1][i] = (rgb[i * 3 + 1] & 0xff) / 255f;
            full[2][i] = (rgb[i * 3 + 2] & 0xff) / 255f;
        }
        float[] r = downscale(full[0], w, h, scale);
        float[] g = downscale(full[1], w, h, scale);
        float[] b = downscale(full[2], w, h, scale);
        float[] ps = downscale(p, w, h, scale);
        float[] meanR = boxMean(r, null, sw, sh, radius);
        float[] meanG = boxMean(g, null, sw, sh, radius);
        float[] meanB = boxMean(b, null, sw, sh, radius);
        float[] meanP = boxMean(ps, null, sw, sh, radius);
        float[] rr = boxMean(r, r, sw, sh, radius);
        float[] rg = boxMean(r, g, sw, sh, radius);
        float[] rb = boxMean(r, b, sw, sh, radius);
        float[] gg = boxMean(g, g, sw, sh, radius);
        float[] gb = boxMean(g, b, sw, sh, radius);
        float[] bb = boxMean(b, b, sw, sh, radius);
        float[] rp = boxMean(r, ps, sw, sh, radius);
        float[] gp = boxMean(g, ps, sw, sh, radius);
        float[] bp = boxMean(b, ps, sw, sh, radius);
        // The coefficients overwrite arrays no longer needed once read at the same index.
        coefficients(meanR, meanG, meanB, meanP, rr, rg, rb, gg, gb, bb, rp, gp, bp, eps);
        float[] aR = rr;
        float[] aG = gg;
        float[] aB = bb;
        float[] offset = meanP;
        float[] maR = upscale(boxMean(aR, null, sw, sh, radius), sw, sh, w, h, scale);
        float[] maG = upscale(boxMean(aG, null, sw, sh, radius), sw, sh, w, h, scale);
        float[] maB = upscale(boxMean(aB, null, sw, sh, radius), sw, sh, w, h, scale);
        float[] mOffset = upscale(boxMean(offset, null, sw, sh, radius), sw, sh, w, h, scale);
        float[] q = new float[plane];
        for (int i = 0; i < plane; i++) {
            q[i] = maR[i] * full[0][i] + maG[i] * full[1][i] + maB[i] * full[2][i] + mOffset[i];
        }
        return q;
    }

    /**
     * Fits each window's linear model of p on the colour: the colours' covariance plus eps on the diagonal, inverted
     * by cofactors (it is symmetric), times their covariance with p. The slopes replace rr, gg and bb and the offset
     * replaces meanP. In double: the covariances subtract products of similar size and the cofactors cancel further
     * where the channels are correlated, as in a grey window. One division per pixel.
     */
    private static void coefficients(float[] meanR, float[] meanG, float[] meanB, float[] meanP, float[] rr,
                                     float[] rg, float[] rb, float[] gg, float[] gb, float[] bb, float[] rp,
                                     float[] gp, float[] bp, float eps) {
        int n = meanR.length;
        for (int i = 0; i < n; i++) {
            double mr = meanR[i];
            double mg = meanG[i];
            double mb = meanB[i];
            double mp = meanP[i];
            double covR = rp[i] - mr * mp;
            double covG = gp[i] - mg * mp;
            double covB = bp[i] - mb * mp;
            double s00 = rr[i] - mr * mr + eps;
            double s01 = rg[i] - mr * mg;
            double s02 = rb[i] - mr * mb;
            double s11 = gg[i] - mg * mg + eps;
            double s12 = gb[i] - mg * mb;
            double s22 = bb[i] - mb * mb + eps;
            double i00 = s11 * s22 - s12 * s12;
            double i01 = s02 * s12 - s01 * s22;
            double i02 = s01 * s12 - s02 * s11;
            double i11 = s00 * s22 - s02 * s02;
            double i12 = s01 * s02 - s00 * s12;
            double i22 = s00 * s11 - s01 * s01;
            double inverseDet = 1 / (s00 * i00 + s01 * i01 + s02 * i02);
            double ar = (i00 * covR + i01 * covG + i02 * covB) * inverseDet;
            double ag = (i01 * covR + i11 * covG + i12 * covB) * inverseDet;
            double ab = (i02 * covR + i12 * covG + i22 * covB) * inverseDet;
            rr[i] = (float) ar;
            gg[i] = (float) ag;
            bb[i] = (float) ab;
            meanP[i] = (float) (mp - ar * mr - ag * mg - ab * mb);
        }
    }

    /**
     * The mean over the (2r+1)x(2r+1) window around each pixel, clipped at the borders, of {@code a}, or of
     * {@code a[i] * b[i]} when {@code b} is given (the product rounded to float, as an array of products would hold it).
     */
    static float[] boxMean(float[] a, float[] b, int w, int h, int r) {
        double[] inverseRowCount = inverseCounts(w, r);
        double[] rows = new double[w * h];
        double[] prefix = new double[w + 1];
        // Windows away from the row's ends have no clipping: that loop has no min/max and vectorises.
        int inner = Math.max(r, w - r);
        for (int y = 0; y < h; y++) {
            int o = y * w;
            double sum = 0;
            if (b == null) {
                for (int x = 0; x < w; x++) {
                    sum += a[o + x];
                    prefix[x + 1] = sum;
                }
            } else {
                for (int x = 0; x < w; x++) {
                    sum += a[o + x] * b[o + x];
                    prefix[x + 1] = sum;
                }
            }
            for (int x = 0; x < Math.min(r, w); x++) {
                rows[o + x] = (prefix[Math.min(w, x + r + 1)] - prefix[0]) * inverseRowCount[x];
            }
            for (int x = r; x < inner; x++) {
                rows[o + x] = (prefix[x + r + 1] - prefix[x - r]) * inverseRowCount[x];
            }
            for (int x = Math.max(r, inner); x < w; x++) {
                rows[o + x] = (prefix[w] - prefix[Math.max(0, x - r)]) * inverseRowCount[x];
            }
        }
        double[] inverseColumnCount = inverseCounts(h, r);
        float[] out = new float[w * h];
        double[] sums = new double[w];
        for (int y = 0; y <= Math.min(r, h - 1); y++) {
            for (int x = 0; x < w; x++) {
                sums[x] += rows[y * w + x];
            }
        }
        for (int y = 0; y < h; y++) {
            double inverse = inverseColumnCount[y];
            int o = y * w;
            int add = (y + r + 1) * w;
            int sub = (y - r) * w;
            if (y + r + 1 < h && y - r >= 0) {
                // Away from the top and bottom the window gains a row and loses one: one pass over the sums.
                for (int x = 0; x < w; x++) {
                    double sum = sums[x];
                    out[o + x] = (float) (sum * inverse);
                    sums[x] = sum + rows[add + x] - rows[sub + x];
                }
                continue;
            }
            for (int x = 0; x < w; x++) {
                out[o + x] = (float) (sums[x] * inverse);
            }
            if (y + r + 1 < h) {
                for (int x = 0; x < w; x++) {
                    sums[x] += rows[add + x];
                }
            }
            if (y - r >= 0) {
                for (int x = 0; x < w; x++) {
                    sums[x] -= rows[sub + x];
                }
            }
        }
        return out;
    }

    /** 1 / the number of positions of a (2r+1)-window clipped to 0..n-1, at each position. */
    private static double[] inverseCounts(int n, int r) {
        double[] inverse = new double[n];
        for (int i = 0; i < n; i++) {
            inverse[i] = 1.0 / (Math.min(n - 1, i + r) - Math.max(0, i - r) + 1);
        }
        return inverse;
    }

    /** Means of scale x scale blocks (the last row and column of blocks may be smaller). */
    private static float[] downscale(float[] src, int w, int h, int scale) {
        if (scale == 1) {
            return src;
        }
        int sw = (w + scale - 1) / scale;
        int sh = (h + scale - 1) / scale;
        float[] sum = new float[sw * sh];
        int[] count = new int[sw * sh];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int j = (y / scale) * sw + x / scale;
                sum[j] += src[y * w + x];
                count[j]++;
            }
        }
        for (int j = 0; j < sum.length; j++) {
            sum[j] /= count[j];
        }
        return sum;
    }

    /** Bilinear interpolation from block centres back to every pixel, edges held. */
    private static float[] upscale(float[] src, int sw, int sh, int w, int h, int scale) {
        if (scale == 1) {
            return src;
        }
        float[] out = new float[w * h];
        for (int y = 0; y < h; y++) {
            float fy = Math.max(0f, Math.min(sh - 1f, (y + 0.5f) / scale - 0.5f));
            int y0 = (int) fy;
            int y1 = Math.min(sh - 1, y0 + 1);
            float ty = fy - y0;
            for (int x = 0; x < w; x++) {
                float fx = Math.max(0f, Math.min(sw - 1f, (x + 0.5f) / scale - 0.5f));
                int x0 = (int) fx;
                int x1 = Math.min(sw - 1, x0 + 1);
                float tx = fx - x0;
                float top = src[y0 * sw + x0] * (1 - tx) + src[y0 * sw + x1] * tx;
                float bottom = src[y1 * sw + x0] * (1 - tx) + src[y1 * sw + x1] * tx;
                out[y * w + x] = top * (1 - ty) + bottom * ty;
            }
        }
        return out;
    }
}
