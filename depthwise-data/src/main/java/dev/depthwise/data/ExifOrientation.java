package dev.depthwise.data;

/**
 * A photo's EXIF orientation (TIFF tag 274, 1 to 8): how a camera that stored its pixels sideways says to turn them.
 * Viewers and browsers turn the photo; so does {@link ImageDecoder#readPhoto}, so that a mask, overlay or cut-out
 * lines up with the photo as the user sees it (rembg does the same with PIL's {@code exif_transpose}).
 *
 * <p>Only this one tag is read, within the APP1 segment's own bytes and bounds: a general TIFF reader follows the
 * counts and offsets that a hostile file sets. Anything malformed reads as 1 (as stored), since the pixels
 * themselves may still be fine.
 */
final class ExifOrientation {
    private static final int TAG = 0x0112;
    private static final int SHORT = 3;

    private ExifOrientation() {
    }

    /** The orientation of a JPEG's bytes, 1 to 8; 1 when there is none or it cannot be read. */
    static int of(byte[] jpeg) {
        int p = 2; // after SOI
        while (p + 4 <= jpeg.length && (jpeg[p] & 0xff) == 0xff) {
            int marker = jpeg[p + 1] & 0xff;
            if (marker == 0xda || marker == 0xd9) {
                return 1; // the scan starts: EXIF comes before it or not at all
            }
            int length = ImageStructure.u16be(jpeg, p + 2);
            int data = p + 4;
            int end = p + 2 + length;
            if (length < 2 || end > jpeg.length) {
                return 1;
            }
            if (marker == 0xe1 && end - data >= 6 && jpeg[data] == 'E' && jpeg[data + 1] == 'x' && jpeg[data + 2] == 'i'
                    && jpeg[data + 3] == 'f' && jpeg[data + 4] == 0 && jpeg[data + 5] == 0) {
                return inTiff(jpeg, data + 6, end);
            }
            p = end;
        }
        return 1;
    }

    /** Tag 274 of IFD0 of the TIFF structure in {@code b[start, end)}. */
    private static int inTiff(byte[] b, int start, int end) {
        if (end - start < 8) {
            return 1;
        }
        boolean little = b[start] == 'I' && b[start + 1] == 'I';
        if (!little && !(b[start] == 'M' && b[start + 1] == 'M')) {
            return 1;
        }
        long ifd = start + u32(b, start + 4, little);
        if (ifd + 2 > end) {
            return 1;
        }
        int entries = u16(b, (int) ifd, little);
        for (int i = 0; i < entries; i++) {
            int entry = (int) ifd + 2 + 12 * i;
            if (entry + 12 > end) {
                return 1;
            }
            if (u16(b, entry, little) == TAG && u16(b, entry + 2, little) == SHORT) {
                int value = u16(b, entry + 8, little);
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    private static int u16(byte[] b, int p, boolean little) {
        return little ? ImageStructure.u16le(b, p) : ImageStructure.u16be(b, p);
    }

    private static long u32(byte[] b, int p, boolean little) {
        return little ? ImageStructure.u32le(b, p) : ImageStructure.u32be(b, p);
    }

    /** {@code image} turned as {@code orientation} says, so that it shows upright; the same image for 1. */
    static RgbImage apply(RgbImage image, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return image;
        }
        int w = image.width();
        int h = image.height();
        boolean swap = orientation >= 5; // 5-8 turn by a quarter: width and height trade places
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        byte[] src = image.rgb();
        byte[] out = new byte[src.length];
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                int ix;
                int iy;
                switch (orientation) {
                    case 2 -> { ix = w - 1 - ox; iy = oy; }
                    case 3 -> { ix = w - 1 - ox; iy = h - 1 - oy; }
                    case 4 -> { ix = ox; iy = h - 1 - oy; }
                    case 5 -> { ix = oy; iy = ox; }
                    case 6 -> { ix = oy; iy = h - 1 - ox; }
                    case 7 -> { ix = w - 1 - oy; iy = h - 1 - ox; }
                    default -> { ix = w - 1 - oy; iy = ox; }
                }
                System.arraycopy(src, (iy * w + ix) * 3, out, (oy * ow + ox) * 3, 3);
            }
        }
        return new RgbImage(ow, oh, out);
    }
}
