package dev.depthwise.train;

import dev.depthwise.data.RgbImage;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The running-sum guided filter against its definition, computed window by window in double. */
class GuidedFilterTest {
    @Test
    void boxMeanIsTheClippedWindowMean() {
        Random random = new Random(3);
        int[][] shapes = {{17, 11, 3}, {5, 9, 4}, {3, 2, 6}, {8, 8, 0}, {30, 1, 2}};
        for (int[] shape : shapes) {
            int w = shape[0];
            int h = shape[1];
            int r = shape[2];
            float[] src = new float[w * h];
            for (int i = 0; i < src.length; i++) {
                src[i] = random.nextFloat();
            }
            float[] other = new float[w * h];
            float[] product = new float[w * h];
            for (int i = 0; i < src.length; i++) {
                other[i] = random.nextFloat();
                product[i] = src[i] * other[i];
            }
            float[] fast = GuidedFilter.boxMean(src, null, w, h, r);
            float[] fastProduct = GuidedFilter.boxMean(src, other, w, h, r);
            double[] naive = windowMean(src, w, h, r);
            double[] naiveProduct = windowMean(product, w, h, r);
            for (int i = 0; i < src.length; i++) {
                assertEquals(naive[i], fast[i], 1e-6, w + "x" + h + " r=" + r + " at " + i);
                assertEquals(naiveProduct[i], fastProduct[i], 1e-6, w + "x" + h + " r=" + r + " product at " + i);
            }
        }
    }

    @Test
    void filterIsTheGuidedFilterOfItsDefinition() {
        Random random = new Random(5);
        int w = 41;
        int h = 29;
        int r = 4;
        float eps = 1e-3f;
        byte[] rgb = new byte[w * h * 3];
        float[] p = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean inside = (x - 20) * (x - 20) + (y - 14) * (y - 14) < 100;
                for (int c = 0; c < 3; c++) {
                    int base = inside ? 180 - 50 * c : 40 + 30 * c;
                    rgb[(y * w + x) * 3 + c] = (byte) Math.max(0, Math.min(255, base + random.nextInt(41) - 20));
                }
                p[y * w + x] = inside ? 1f : random.nextFloat() < 0.1f ? 0.5f : 0f;
            }
        }
        RgbImage guide = new RgbImage(w, h, rgb);
        float[] fast = GuidedFilter.filter(guide, p, 1, r, eps);
        double[] naive = naiveGuidedFilter(guide, p, r, eps);
        double worst = 0;
        for (int i = 0; i < p.length; i++) {
            worst = Math.max(worst, Math.abs(fast[i] - naive[i]));
        }
        assertEquals(0, worst, 1e-4, "largest difference from the definition");
    }

    private static double[] windowMean(float[] src, int w, int h, int r) {
        double[] out = new double[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double sum = 0;
                int count = 0;
                for (int v = Math.max(0, y - r); v <= Math.min(h - 1, y + r); v++) {
                    for (int u = Math.max(0, x - r); u <= Math.min(w - 1, x + r); u++) {
                        sum += src[v * w + u];
                        count++;
                    }
                }
                out[y * w + x] = sum / count;
            }
        }
        return out;
    }

    /**
     * He, Sun and Tang's equations (section 3.5): per window k, a_k = (Sigma_k + eps U)^-1 (mean(I p) - mu_k p_k),
     * b_k = p_k - a_k . mu_k; then q_i = mean over the windows holding i of a_k . I_i + b_k. Solved by Gaussian
     * elimination here, not by cofactors as the filter does.
     */
    private static double[] naiveGuidedFilter(RgbImage guide, float[] p, int r, float eps) {
        int w = guide.width();
        int h = guide.height();
        double[][] a = new double[w * h][];
        double[] b = new double[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double[] mean = new double[3];
                double[][] second = new double[3][3];
                double[] withP = new double[3];
                double meanP = 0;
                int n = 0;
                for (int v = Math.max(0, y - r); v <= Math.min(h - 1, y + r); v++) {
                    for (int u = Math.max(0, x - r); u <= Math.min(w - 1, x + r); u++) {
                        double[] colour = colour(guide, u, v);
                        double pv = p[v * w + u];
                        for (int c = 0; c < 3; c++) {
                            mean[c] += colour[c];
                            withP[c] += colour[c] * pv;
                            for (int d = 0; d < 3; d++) {
                                second[c][d] += colour[c] * colour[d];
                            }
                        }
                        meanP += pv;
                        n++;
                    }
                }
                meanP /= n;
                double[][] system = new double[3][4];
                for (int c = 0; c < 3; c++) {
                    mean[c] /= n;
                }
                for (int c = 0; c < 3; c++) {
                    for (int d = 0; d < 3; d++) {
                        system[c][d] = second[c][d] / n - mean[c] * mean[d] + (c == d ? eps : 0);
                    }
                    system[c][3] = withP[c] / n - mean[c] * meanP;
                }
                double[] coefficients = solve(system);
                a[y * w + x] = coefficients;
                b[y * w + x] = meanP - coefficients[0] * mean[0] - coefficients[1] * mean[1]
                        - coefficients[2] * mean[2];
            }
        }
        double[] q = new double[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double[] colour = colour(guide, x, y);
                double sum = 0;
                int n = 0;
                for (int v = Math.max(0, y - r); v <= Math.min(h - 1, y + r); v++) {
                    for (int u = Math.max(0, x - r); u <= Math.min(w - 1, x + r); u++) {
                        double[] ak = a[v * w + u];
                        sum += ak[0] * colour[0] + ak[1] * colour[1] + ak[2] * colour[2] + b[v * w + u];
                        n++;
                    }
                }
                q[y * w + x] = sum / n;
            }
        }
        return q;
    }

    private static double[] colour(RgbImage image, int x, int y) {
        return new double[] {image.get(x, y, 0) / 255.0, image.get(x, y, 1) / 255.0, image.get(x, y, 2) / 255.0};
    }

    /** Gaussian elimination with partial pivoting of a 3x3 system given as rows [A | b]. */
    private static double[] solve(double[][] m) {
        for (int col = 0; col < 3; col++) {
            int pivot = col;
            for (int row = col + 1; row < 3; row++) {
                if (Math.abs(m[row][col]) > Math.abs(m[pivot][col])) {
                    pivot = row;
                }
            }
            double[] swap = m[col];
            m[col] = m[pivot];
            m[pivot] = swap;
            for (int row = col + 1; row < 3; row++) {
                double f = m[row][col] / m[col][col];
                for (int k = col; k < 4; k++) {
                    m[row][k] -= f * m[col][k];
                }
            }
        }
        double[] x = new double[3];
        for (int row = 2; row >= 0; row--) {
            double sum = m[row][3];
            for (int k = row + 1; k < 3; k++) {
                sum -= m[row][k] * x[k];
            }
            x[row] = sum / m[row][row];
        }
        return x;
    }
}
