package dev.depthwise.data;

/**
 * Pillow's {@code Image.resize(size, Image.BILINEAR)}, bit for bit: a separable triangle filter whose
 * support widens with the downscale factor (so downscaling averages every source pixel, i.e. antialiases),
 * fixed-point weights of 22 fractional bits, a horizontal pass to 8 bits, then a vertical pass. This is
 * what torchvision's {@code Resize} does to a PIL image, and so what the ImageNet weights were evaluated
 * with; PyTorch's {@code interpolate} (and {@link Transforms#resize}) does not antialias and differs when
 * shrinking. Follows Pillow's {@code src/libImaging/Resample.c}.
 */
public final class PilResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PilResize() {
    }

    public static RgbImage bilinear(RgbImage image, int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("resize: target size " + width + "x" + height + " must be positive");
        }
        RgbImage out = image;
        if (width != image.width()) {
            out = horizontal(out, width);
        }
        if (height != image.height()) {
            out = vertical(out, height);
        }
        return out;
    }

    /** Per output pixel: the first source pixel, then the fixed-point weights of the pixels it spans. */
    private record Coefficients(int[] first, int[] count, int[][] weights) {
    }

    private static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale; // the triangle filter's support is 1 source pixel, widened when shrinking
        int[] first = new int[outSize];
        int[] count = new int[outSize];
        int[][] weights = new int[outSize][];
        for (int o = 0; o < outSize; o++) {
            double center = (o + 0.5) * scale;
            int min = Math.max((int) (center - support + 0.5), 0);
            int max = Math.min((int) (center + support + 0.5), inSize) - min;
            double[] k = new double[max];
            double total = 0;
            for (int i = 0; i < max; i++) {
                double w = triangle((i + min - center + 0.5) / filterScale);
                k[i] = w;
                total += w;
            }
            int[] fixed = new int[max];
            for (int i = 0; i < max; i++) {
                double normalised = total != 0 ? k[i] / total : k[i];
                fixed[i] = (int) (normalised < 0 ? -0.5 + normalised * (1 << PRECISION_BITS)
                        : 0.5 + normalised * (1 << PRECISION_BITS));
            }
            first[o] = min;
            count[o] = max;
            weights[o] = fixed;
        }
        return new Coefficients(first, count, weights);
    }

    private static double triangle(double x) {
        x = Math.abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static RgbImage horizontal(RgbImage in, int outW) {
        int inW = in.width();
        int h = in.height();
        Coefficients c = coefficients(inW, outW);
        byte[] src = in.rgb();
        byte[] dst = new byte[outW * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < outW; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    int sum = 1 << (PRECISION_BITS - 1);
                    for (int i = 0; i < c.count[x]; i++) {
                        sum += (src[(y * inW + c.first[x] + i) * 3 + ch] & 0xff) * c.weights[x][i];
                    }
                    dst[(y * outW + x) * 3 + ch] = clip8(sum);
                }
            }
        }
        return new RgbImage(outW, h, dst);
    }

    private static RgbImage vertical(RgbImage in, int outH) {
        int w = in.width();
        Coefficients c = coefficients(in.height(), outH);
        byte[] src = in.rgb();
        byte[] dst = new byte[w * outH * 3];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    int sum = 1 << (PRECISION_BITS - 1);
                    for (int i = 0; i < c.count[y]; i++) {
                        sum += (src[((c.first[y] + i) * w + x) * 3 + ch] & 0xff) * c.weights[y][i];
                    }
                    dst[(y * w + x) * 3 + ch] = clip8(sum);
                }
            }
        }
        return new RgbImage(w, outH, dst);
    }

    private static byte clip8(int sum) {
        if (sum >= (1 << PRECISION_BITS << 8)) {
            return (byte) 255;
        }
        if (sum <= 0) {
            return 0;
        }
        return (byte) (sum >> PRECISION_BITS);
    }
}
