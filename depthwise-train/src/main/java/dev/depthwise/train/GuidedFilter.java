package dev.depthwise.train;

import dev.depthwise.data.RgbImage;

/**
 * The guided filter with a colour guide (He, Sun and Tang, TPAMI 2013, section 3.5) in its fast form (He and Sun,
 * 2015): the linear coefficients are fitted on a copy downscaled by {@code scale} and upsampled bilinearly, then
 * applied to the full-resolution guide. Box means run as running sums, so the cost does not depend on the radius.
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
        int sw = (w + scale - 1) / scale;
        int sh = (h + scale - 1) / scale;
        float[][] colour = new float[3][];
        float[] guideFull = new float[3 * w * h];
        for (int c = 0; c < 3; c++) {
            float[] plane = new float[w * h];
            for (int i = 0; i < w * h; i++) {
                plane[i] = (guide.rgb()[i * 3 + c] & 0xff) / 255f;
            }
            System.arraycopy(plane, 0, guideFull, c * w * h, w * h);
            colour[c] = downscale(plane, w, h, scale);
        }
        float[] ps = downscale(p, w, h, scale);
        float[] meanR = boxMean(colour[0], sw, sh, radius);
        float[] meanG = boxMean(colour[1], sw, sh, radius);
        float[] meanB = boxMean(colour[2], sw, sh, radius);
        float[] meanP = boxMean(ps, sw, sh, radius);
        float[] rr = boxMean(product(colour[0], colour[0]), sw, sh, radius);
        float[] rg = boxMean(product(colour[0], colour[1]), sw, sh, radius);
        float[] rb = boxMean(product(colour[0], colour[2]), sw, sh, radius);
        float[] gg = boxMean(product(colour[1], colour[1]), sw, sh, radius);
        float[] gb = boxMean(product(colour[1], colour[2]), sw, sh, radius);
        float[] bb = boxMean(product(colour[2], colour[2]), sw, sh, radius);
        float[] rp = boxMean(product(colour[0], ps), sw, sh, radius);
        float[] gp = boxMean(product(colour[1], ps), sw, sh, radius);
        float[] bp = boxMean(product(colour[2], ps), sw, sh, radius);
        int n = sw * sh;
        float[] aR = new float[n];
        float[] aG = new float[n];
        float[] aB = new float[n];
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            double mr = meanR[i];
            double mg = meanG[i];
            double mb = meanB[i];
            double mp = meanP[i];
            double covR = rp[i] - mr * mp;
            double covG = gp[i] - mg * mp;
            double covB = bp[i] - mb * mp;
            // The colours' covariance in the window plus eps on the diagonal, inverted by cofactors (symmetric).
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
            double det = s00 * i00 + s01 * i01 + s02 * i02;
            double ar = (i00 * covR + i01 * covG + i02 * covB) / det;
            double ag = (i01 * covR + i11 * covG + i12 * covB) / det;
            double ab = (i02 * covR + i12 * covG + i22 * covB) / det;
            aR[i] = (float) ar;
            aG[i] = (float) ag;
            aB[i] = (float) ab;
            b[i] = (float) (mp - ar * mr - ag * mg - ab * mb);
        }
        float[] maR = upscale(boxMean(aR, sw, sh, radius), sw, sh, w, h, scale);
        float[] maG = upscale(boxMean(aG, sw, sh, radius), sw, sh, w, h, scale);
        float[] maB = upscale(boxMean(aB, sw, sh, radius), sw, sh, w, h, scale);
        float[] mB = upscale(boxMean(b, sw, sh, radius), sw, sh, w, h, scale);
        float[] q = new float[w * h];
        int plane = w * h;
        for (int i = 0; i < plane; i++) {
            q[i] = maR[i] * guideFull[i] + maG[i] * guideFull[plane + i] + maB[i] * guideFull[2 * plane + i] + mB[i];
        }
        return q;
    }

    /** The mean over the (2r+1)x(2r+1) window around each pixel, clipped at the borders. */
    static float[] boxMean(float[] src, int w, int h, int r) {
        float[] rows = new float[w * h];
        for (int y = 0; y < h; y++) {
            int o = y * w;
            double sum = 0;
            for (int x = 0; x <= Math.min(r, w - 1); x++) {
                sum += src[o + x];
            }
            for (int x = 0; x < w; x++) {
                int lo = Math.max(0, x - r);
                int hi = Math.min(w - 1, x + r);
                rows[o + x] = (float) (sum / (hi - lo + 1));
                if (x + r + 1 < w) {
                    sum += src[o + x + r + 1];
                }
                if (x - r >= 0) {
                    sum -= src[o + x - r];
                }
            }
        }
        float[] out = new float[w * h];
        double[] sums = new double[w];
        for (int y = 0; y <= Math.min(r, h - 1); y++) {
            for (int x = 0; x < w; x++) {
                sums[x] += rows[y * w + x];
            }
        }
        for (int y = 0; y < h; y++) {
            int count = Math.min(h - 1, y + r) - Math.max(0, y - r) + 1;
            for (int x = 0; x < w; x++) {
                out[y * w + x] = (float) (sums[x] / count);
            }
            if (y + r + 1 < h) {
                int add = (y + r + 1) * w;
                for (int x = 0; x < w; x++) {
                    sums[x] += rows[add + x];
                }
            }
            if (y - r >= 0) {
                int sub = (y - r) * w;
                for (int x = 0; x < w; x++) {
                    sums[x] -= rows[sub + x];
                }
            }
        }
        return out;
    }

    private static float[] product(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] * b[i];
        }
        return out;
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
