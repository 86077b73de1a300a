package dev.depthwise.data;

/**
 * The article's transforms: resize, horizontal flip (geometry: applied identically to image and mask),
 * contrast jitter (image only), and conversion to float CHW in [0, 1]. Plain functions on plain arrays;
 * {@link Augmentation} decides the random parts.
 */
public final class Transforms {
    private Transforms() {
    }

    public static RgbImage resize(RgbImage image, int width, int height, Interpolation interpolation) {
        if (image.width() == width && image.height() == height) {
            return image;
        }
        return interpolation == Interpolation.NEAREST
                ? new RgbImage(width, height, resizeNearest(image.rgb(), image.width(), image.height(), 3, width, height))
                : new RgbImage(width, height, resizeBilinear(image, width, height));
    }

    /** Nearest-neighbour resize; the only kind a mask gets. */
    public static Mask resize(Mask mask, int width, int height) {
        if (mask.width() == width && mask.height() == height) {
            return mask;
        }
        return new Mask(width, height, resizeNearest(mask.classes(), mask.width(), mask.height(), 1, width, height));
    }

    private static byte[] resizeNearest(byte[] src, int inW, int inH, int channels, int outW, int outH) {
        int[] srcX = nearestIndices(inW, outW);
        int[] srcY = nearestIndices(inH, outH);
        byte[] out = new byte[outW * outH * channels];
        for (int y = 0; y < outH; y++) {
            int rowIn = srcY[y] * inW;
            int o = y * outW * channels;
            for (int x = 0; x < outW; x++) {
                int i = (rowIn + srcX[x]) * channels;
                for (int c = 0; c < channels; c++) {
                    out[o++] = src[i + c];
                }
            }
        }
        return out;
    }

    private static int[] nearestIndices(int in, int out) {
        // PyTorch's "nearest": floor(dst * scale) with scale = in / out, computed in float as PyTorch does.
        float scale = (float) in / out;
        int[] idx = new int[out];
        for (int d = 0; d < out; d++) {
            idx[d] = Math.min((int) Math.floor(d * scale), in - 1);
        }
        return idx;
    }

    private static byte[] resizeBilinear(RgbImage image, int outW, int outH) {
        int inW = image.width();
        int inH = image.height();
        byte[] src = image.rgb();
        float scaleX = (float) inW / outW;
        float scaleY = (float) inH / outH;
        int[] x0 = new int[outW];
        int[] x1 = new int[outW];
        float[] fx = new float[outW];
        for (int x = 0; x < outW; x++) {
            float sx = Math.max((x + 0.5f) * scaleX - 0.5f, 0f); // align_corners=False; clamp below as PyTorch
            x0[x] = Math.min((int) sx, inW - 1);
            x1[x] = Math.min(x0[x] + 1, inW - 1);
            fx[x] = sx - x0[x];
        }
        byte[] out = new byte[outW * outH * 3];
        for (int y = 0; y < outH; y++) {
            float sy = Math.max((y + 0.5f) * scaleY - 0.5f, 0f);
            int y0 = Math.min((int) sy, inH - 1);
            int y1 = Math.min(y0 + 1, inH - 1);
            float fy = sy - y0;
            for (int x = 0; x < outW; x++) {
                int a = (y0 * inW + x0[x]) * 3;
                int b = (y0 * inW + x1[x]) * 3;
                int c = (y1 * inW + x0[x]) * 3;
                int d = (y1 * inW + x1[x]) * 3;
                int o = (y * outW + x) * 3;
                for (int ch = 0; ch < 3; ch++) {
                    float top = (src[a + ch] & 0xff) * (1 - fx[x]) + (src[b + ch] & 0xff) * fx[x];
                    float bottom = (src[c + ch] & 0xff) * (1 - fx[x]) + (src[d + ch] & 0xff) * fx[x];
                    out[o + ch] = (byte) Math.min(255, (int) Math.rint(top * (1 - fy) + bottom * fy)); // half to even, as torch.round
                }
            }
        }
        return out;
    }

    public static RgbImage flipHorizontal(RgbImage image) {
        return new RgbImage(image.width(), image.height(), flipRows(image.rgb(), image.width(), image.height(), 3));
    }

    public static Mask flipHorizontal(Mask mask) {
        return new Mask(mask.width(), mask.height(), flipRows(mask.classes(), mask.width(), mask.height(), 1));
    }

    private static byte[] flipRows(byte[] src, int w, int h, int channels) {
        byte[] out = new byte[src.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                System.arraycopy(src, (y * w + x) * channels, out, (y * w + (w - 1 - x)) * channels, channels);
            }
        }
        return out;
    }

    /** Writes the image as float CHW in [0, 1] into {@code dst} at {@code offset} (3*H*W floats). */
    public static void toChw(RgbImage image, float[] dst, int offset) {
        int plane = image.width() * image.height();
        byte[] rgb = image.rgb();
        for (int i = 0; i < plane; i++) {
            dst[offset + i] = (rgb[i * 3] & 0xff) / 255f;
            dst[offset + plane + i] = (rgb[i * 3 + 1] & 0xff) / 255f;
            dst[offset + 2 * plane + i] = (rgb[i * 3 + 2] & 0xff) / 255f;
        }
    }

    /**
     * torchvision's {@code adjust_contrast} on a float CHW image in place: blend with the mean of the
     * image's grey version (ITU-R 601-2 luma, 0.2989 R + 0.587 G + 0.114 B), clamped to [0, 1].
     */
    public static void adjustContrast(float[] chw, int offset, int plane, float factor) {
        double sum = 0;
        for (int i = 0; i < plane; i++) {
            sum += 0.2989f * chw[offset + i] + 0.587f * chw[offset + plane + i] + 0.114f * chw[offset + 2 * plane + i];
        }
        float mean = (float) (sum / plane);
        float bias = (1 - factor) * mean;
        for (int i = offset, end = offset + 3 * plane; i < end; i++) {
            chw[i] = Math.min(1f, Math.max(0f, factor * chw[i] + bias));
        }
    }

    /** Writes mask classes as ints into {@code dst} at {@code offset}. */
    public static void toClasses(Mask mask, int[] dst, int offset) {
        byte[] classes = mask.classes();
        for (int i = 0; i < classes.length; i++) {
            dst[offset + i] = classes[i];
        }
    }
}
