package dev.depthwise.data;

import dev.depthwise.engine.Tensor;

/**
 * torchvision's ImageNet evaluation transform for a PIL image: {@code Resize(256)} (shorter side to 256,
 * Pillow bilinear, see {@link PilResize}), {@code CenterCrop(224)}, {@code ToTensor()},
 * {@code Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])}.
 */
public final class ImageNetPreprocessing {
    public static final int RESIZE = 256;
    public static final int CROP = 224;
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    private ImageNetPreprocessing() {
    }

    /** The standard transform: a [1, 3, 224, 224] tensor. */
    public static Tensor apply(RgbImage image) {
        return apply(image, RESIZE, CROP);
    }

    /** The same with other sizes: shorter side to {@code resize}, then a centred {@code crop} x {@code crop}. */
    public static Tensor apply(RgbImage image, int resize, int crop) {
        RgbImage cropped = centerCrop(resizeShorterSide(image, resize), crop);
        int plane = crop * crop;
        float[] chw = new float[3 * plane];
        Transforms.toChw(cropped, chw, 0);
        for (int c = 0; c < 3; c++) {
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                chw[i] = (chw[i] - MEAN[c]) / STD[c];
            }
        }
        return new Tensor(chw, 1, 3, crop, crop);
    }

    /** As torchvision: the shorter side becomes {@code size}, the longer {@code int(size * long / short)}. */
    public static RgbImage resizeShorterSide(RgbImage image, int size) {
        int w = image.width();
        int h = image.height();
        if (w <= h) {
            return PilResize.bilinear(image, size, (int) ((long) size * h / w));
        }
        return PilResize.bilinear(image, (int) ((long) size * w / h), size);
    }

    /**
     * The centred square, offsets rounded as Python's {@code round} does (half to even). An image smaller
     * than the crop is an error here; torchvision would pad it, which {@link #resizeShorterSide} never needs.
     */
    public static RgbImage centerCrop(RgbImage image, int size) {
        if (image.width() < size || image.height() < size) {
            throw new IllegalArgumentException("center crop " + size + "x" + size + " larger than the image "
                    + image.width() + "x" + image.height());
        }
        int top = (int) Math.rint((image.height() - size) / 2.0);
        int left = (int) Math.rint((image.width() - size) / 2.0);
        byte[] src = image.rgb();
        byte[] dst = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            System.arraycopy(src, ((top + y) * image.width() + left) * 3, dst, y * size * 3, size * 3);
        }
        return new RgbImage(size, size, dst);
    }
}
