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

    /**
     * The affine view of {@link Augmentation.Choice} (zoom about the centre, rotation, shift): each output pixel
     * samples the source at the inverse-mapped point, bilinearly; points outside the image are black.
     */
    public static RgbImage affine(RgbImage image, Augmentation.Choice view) {
        int w = image.width();
        int h = image.height();
        byte[] src = image.rgb();
        byte[] out = new byte[src.length];
        double[] at = new double[2];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                inverse(view, w, h, x, y, at);
                double sx = at[0];
                double sy = at[1];
                if (sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5) {
                    continue;
                }
                int x0 = (int) Math.floor(Math.max(0, Math.min(w - 1, sx)));
                int y0 = (int) Math.floor(Math.max(0, Math.min(h - 1, sy)));
                int x1 = Math.min(x0 + 1, w - 1);
                int y1 = Math.min(y0 + 1, h - 1);
                double fx = Math.max(0, Math.min(1, sx - x0));
                double fy = Math.max(0, Math.min(1, sy - y0));
                for (int c = 0; c < 3; c++) {
                    double top = (src[(y0 * w + x0) * 3 + c] & 0xff) * (1 - fx) + (src[(y0 * w + x1) * 3 + c] & 0xff) * fx;
                    double bottom = (src[(y1 * w + x0) * 3 + c] & 0xff) * (1 - fx) + (src[(y1 * w + x1) * 3 + c] & 0xff) * fx;
                    out[(y * w + x) * 3 + c] = (byte) Math.min(255, (int) Math.round(top * (1 - fy) + bottom * fy));
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** The same view of a mask: nearest source pixel; pixels from outside the image are {@link Mask#IGNORE}. */
    public static Mask affine(Mask mask, Augmentation.Choice view) {
        int w = mask.width();
        int h = mask.height();
        byte[] out = new byte[w * h];
        double[] at = new double[2];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                inverse(view, w, h, x, y, at);
                int sx = (int) Math.round(at[0]);
                int sy = (int) Math.round(at[1]);
                out[y * w + x] = sx < 0 || sy < 0 || sx >= w || sy >= h ? (byte) Mask.IGNORE : mask.classes()[sy * w + sx];
            }
        }
        return new Mask(w, h, out);
    }

    /** The source point of output pixel (x, y): src = centre + R(-angle) (out - centre - shift) / zoom. */
    private static void inverse(Augmentation.Choice view, int w, int h, int x, int y, double[] at) {
        double cx = (w - 1) / 2.0;
        double cy = (h - 1) / 2.0;
        double dx = (x - cx - view.shiftX() * w) / view.zoom();
        double dy = (y - cy - view.shiftY() * h) / view.zoom();
        double cos = Math.cos(view.angle());
        double sin = Math.sin(view.angle());
        at[0] = cx + cos * dx + sin * dy;
        at[1] = cy - sin * dx + cos * dy;
    }

    /** torchvision's {@code adjust_brightness} on float CHW in place: scale, clamped to [0, 1]. */
    public static void adjustBrightness(float[] chw, int offset, int plane, float factor) {
        for (int i = offset, end = offset + 3 * plane; i < end; i++) {
            chw[i] = Math.min(1f, Math.max(0f, factor * chw[i]));
        }
    }

    /** torchvision's {@code adjust_saturation} on float CHW in place: blend each pixel with its grey (ITU-R 601-2 luma). */
    public static void adjustSaturation(float[] chw, int offset, int plane, float factor) {
        for (int i = 0; i < plane; i++) {
            int r = offset + i;
            int g = r + plane;
            int b = g + plane;
            float grey = 0.2989f * chw[r] + 0.587f * chw[g] + 0.114f * chw[b];
            float bias = (1 - factor) * grey;
            chw[r] = Math.min(1f, Math.max(0f, factor * chw[r] + bias));
            chw[g] = Math.min(1f, Math.max(0f, factor * chw[g] + bias));
            chw[b] = Math.min(1f, Math.max(0f, factor * chw[b] + bias));
        }
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

    /** Writes mask classes as ints (0..254, or {@link Mask#IGNORE}) into {@code dst} at {@code offset}. */
    public static void toClasses(Mask mask, int[] dst, int offset) {
        byte[] classes = mask.classes();
        for (int i = 0; i < classes.length; i++) {
            dst[offset + i] = classes[i] & 0xff;
        }
    }
}
