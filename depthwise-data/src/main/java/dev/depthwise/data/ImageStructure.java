package dev.depthwise.data;

import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Recognises an image format by its first bytes and checks, by the format's own structure, that the file is
 * whole before it is decoded. The decoders cannot be trusted with this: libjpeg fills a JPEG cut inside a scan
 * with grey and raises no warning when the cut falls between restart intervals, and the JDK's PNG reader
 * returns the rows it got from a short IDAT stream. So each format is walked here:
 * <ul>
 *   <li>JPEG: every marker segment fits in the file, every scan's entropy-coded data ends at a marker, and the
 *       end-of-image marker (FFD9) follows the last scan;</li>
 *   <li>PNG: every chunk fits and passes its CRC, the IDAT zlib stream inflates to the size the header implies
 *       and ends, and the IEND chunk is there;</li>
 *   <li>GIF: every block and sub-block chain fits and the first image's data is complete;</li>
 *   <li>BMP: the pixel array the header implies fits in the file (RLE: the end-of-bitmap code is reached).</li>
 * </ul>
 * Other formats ImageIO could read (TIFF, WBMP, ...) are not accepted: nothing here checks them.
 */
final class ImageStructure {
    /** Formats whose structure is checked here, by the names ImageIO gives them. */
    static final String JPEG = "jpeg";
    static final String PNG = "png";
    static final String GIF = "gif";
    static final String BMP = "bmp";

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private ImageStructure() {
    }

    /** Why a file's structure is not that of a whole image; the message is the reason, without the file name. */
    static final class Defect extends Exception {
        Defect(String reason) {
            super(reason);
        }
    }

    /** The accepted format the bytes start like, or null. */
    static String sniff(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
            return JPEG;
        }
        if (startsWith(b, PNG_SIGNATURE)) {
            return PNG;
        }
        if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8'
                && (b[4] == '7' || b[4] == '9') && b[5] == 'a') {
            return GIF;
        }
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return BMP;
        }
        return null;
    }

    /** A name for a format that is recognised but not accepted, or null. */
    static String unacceptedFormat(byte[] b) {
        if (startsWith(b, new byte[]{'I', 'I', '*', 0}) || startsWith(b, new byte[]{'M', 'M', 0, '*'})) {
            return "TIFF";
        }
        if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F'
                && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return "WebP";
        }
        return null;
    }

    /** Checks that a file of the given (sniffed) format is whole; its header has passed the pixel limit. */
    static void checkWhole(String format, byte[] bytes) throws Defect {
        switch (format) {
            case JPEG -> checkJpeg(bytes);
            case PNG -> checkPng(bytes);
            case GIF -> checkGif(bytes);
            case BMP -> checkBmp(bytes);
            default -> throw new Defect(format + " data is not accepted");
        }
    }

    // ---- JPEG -------------------------------------------------------------------------------------------

    private static void checkJpeg(byte[] b) throws Defect {
        int n = b.length;
        int p = 2; // after SOI
        int scans = 0;
        boolean frame = false;
        while (true) {
            if (p >= n) {
                throw new Defect(scans > 0 ? "no end-of-image marker after scan " + scans + " (truncated)"
                        : "ends before its first scan (truncated)");
            }
            if ((b[p] & 0xff) != 0xff) {
                throw new Defect(String.format(Locale.ROOT, "byte %d is %02x where a JPEG marker should start (corrupt)",
                        p, b[p] & 0xff));
            }
            int at = p;
            while (p < n && (b[p] & 0xff) == 0xff) {
                p++; // fill bytes
            }
            if (p >= n) {
                continue; // reported above as the file's end
            }
            int marker = b[p++] & 0xff;
            if (marker == 0xd9) {
                if (scans == 0) {
                    throw new Defect("end-of-image marker before any scan (corrupt)");
                }
                return;
            }
            if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
                continue; // markers without a length
            }
            if (marker == 0x00 || marker == 0xd8) {
                throw new Defect(String.format(Locale.ROOT, "marker ff%02x at byte %d is out of place (corrupt)", marker, at));
            }
            if (p + 2 > n) {
                throw new Defect(String.format(Locale.ROOT, "ends inside the ff%02x segment at byte %d (truncated)", marker, at));
            }
            int length = u16be(b, p);
            if (length < 2) {
                throw new Defect(String.format(Locale.ROOT, "the ff%02x segment at byte %d has length %d (corrupt)",
                        marker, at, length));
            }
            if ((long) p + length > n) {
                throw new Defect(String.format(Locale.ROOT, "the ff%02x segment at byte %d runs past the end (truncated)",
                        marker, at));
            }
            p += length;
            if (isStartOfFrame(marker)) {
                frame = true;
            }
            if (marker == 0xda) {
                if (!frame) {
                    throw new Defect("a scan before the frame header (corrupt)");
                }
                scans++;
                p = endOfEntropyCodedData(b, p, scans);
            }
        }
    }

    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    }

    /** The offset of the marker that ends a scan's data (FF not followed by 00, a restart marker or a fill FF). */
    private static int endOfEntropyCodedData(byte[] b, int p, int scan) throws Defect {
        int n = b.length;
        while (true) {
            while (p < n && (b[p] & 0xff) != 0xff) {
                p++;
            }
            if (p + 1 >= n) {
                throw new Defect("data ends inside scan " + scan + " (truncated)");
            }
            int next = b[p + 1] & 0xff;
            if (next == 0x00 || (next >= 0xd0 && next <= 0xd7)) {
                p += 2;
            } else if (next == 0xff) {
                p++;
            } else {
                return p;
            }
        }
    }

    // ---- PNG --------------------------------------------------------------------------------------------

    private static void checkPng(byte[] b) throws Defect {
        int n = b.length;
        int p = PNG_SIGNATURE.length;
        long expected = -1;
        long inflated = 0;
        Inflater inflater = new Inflater();
        byte[] sink = new byte[64 * 1024];
        CRC32 crc = new CRC32();
        try {
            while (true) {
                if (p == n) {
                    throw new Defect("no IEND chunk (truncated)");
                }
                if (p + 8 > n) {
                    throw new Defect("ends inside a chunk header at byte " + p + " (truncated)");
                }
                long length = u32be(b, p);
                String type = new String(b, p + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
                if (length > Integer.MAX_VALUE || p + 12 + length > n) {
                    throw new Defect("the " + printable(type) + " chunk at byte " + p + " runs past the end (truncated)");
                }
                int data = p + 8;
                int len = (int) length;
                crc.reset();
                crc.update(b, p + 4, 4 + len);
                if (crc.getValue() != u32be(b, data + len)) {
                    throw new Defect("the " + printable(type) + " chunk at byte " + p + " fails its CRC check (corrupt)");
                }
                if (expected < 0 && !type.equals("IHDR")) {
                    throw new Defect("the first chunk is " + printable(type) + ", not IHDR (corrupt)");
                }
                switch (type) {
                    case "IHDR" -> expected = pngDataSize(b, data, len);
                    case "IDAT" -> {
                        if (!inflater.finished() && inflated <= expected) {
                            inflater.setInput(b, data, len);
                            while (!inflater.needsInput() && !inflater.finished() && inflated <= expected) {
                                int got = inflater.inflate(sink);
                                if (got == 0 && inflater.needsDictionary()) {
                                    throw new Defect("the IDAT stream asks for a preset dictionary (corrupt)");
                                }
                                inflated += got;
                            }
                        }
                    }
                    case "IEND" -> {
                        if (inflated < expected) {
                            throw new Defect("IDAT data holds " + inflated + " of the " + expected
                                    + " bytes its size implies (truncated)");
                        }
                        if (inflated == expected && !inflater.finished()) {
                            throw new Defect("the IDAT zlib stream does not end (truncated)");
                        }
                        return;
                    }
                    default -> {
                    }
                }
                p = data + len + 4;
            }
        } catch (DataFormatException e) {
            throw new Defect("IDAT data is not a valid zlib stream: " + e.getMessage() + " (corrupt)");
        } finally {
            inflater.end();
        }
    }

    /** The inflated size of the pixel data an IHDR chunk implies: filter bytes and rows, Adam7 passes if interlaced. */
    private static long pngDataSize(byte[] b, int data, int len) throws Defect {
        if (len != 13) {
            throw new Defect("IHDR chunk of " + len + " bytes, not 13 (corrupt)");
        }
        long width = u32be(b, data);
        long height = u32be(b, data + 4);
        int depth = b[data + 8] & 0xff;
        int colourType = b[data + 9] & 0xff;
        int interlace = b[data + 12] & 0xff;
        int channels = switch (colourType) {
            case 0, 3 -> 1;
            case 2 -> 3;
            case 4 -> 2;
            case 6 -> 4;
            default -> throw new Defect("colour type " + colourType + " (corrupt)");
        };
        if (width == 0 || height == 0 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE
                || (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16) || interlace > 1) {
            throw new Defect("IHDR declares " + width + "x" + height + ", depth " + depth + ", interlace "
                    + interlace + " (corrupt)");
        }
        long bitsPerPixel = (long) channels * depth;
        if (interlace == 0) {
            return height * (1 + (width * bitsPerPixel + 7) / 8);
        }
        long total = 0;
        int[][] passes = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
        for (int[] pass : passes) { // x0, y0, dx, dy
            long w = (width - pass[0] + pass[2] - 1) / pass[2];
            long h = (height - pass[1] + pass[3] - 1) / pass[3];
            if (w > 0 && h > 0) {
                total += h * (1 + (w * bitsPerPixel + 7) / 8);
            }
        }
        return total;
    }

    // ---- GIF --------------------------------------------------------------------------------------------

    private static void checkGif(byte[] b) throws Defect {
        int n = b.length;
        if (n < 13) {
            throw new Defect("ends inside the GIF header (truncated)");
        }
        int p = 13 + colourTableSize(b[10]);
        int images = 0;
        while (true) {
            if (p >= n) {
                if (images > 0) {
                    return; // no trailer after a whole image: readers (and PIL) accept it
                }
                throw new Defect("ends before its first image (truncated)");
            }
            int block = b[p] & 0xff;
            if (block == 0x3b) {
                if (images == 0) {
                    throw new Defect("holds no image (corrupt)");
                }
                return;
            } else if (block == 0x21) {
                p = skipSubBlocks(b, p + 2, "extension at byte " + p);
            } else if (block == 0x2c) {
                if (p + 10 > n) {
                    throw new Defect("ends inside an image descriptor (truncated)");
                }
                int start = p;
                p += 10 + colourTableSize(b[p + 9]) + 1; // descriptor, local table, LZW code size
                p = skipSubBlocks(b, p, "image data at byte " + start);
                images++;
            } else {
                throw new Defect(String.format(Locale.ROOT, "unknown block %02x at byte %d (corrupt)", block, p));
            }
        }
    }

    private static int colourTableSize(byte flags) {
        return (flags & 0x80) == 0 ? 0 : 3 << ((flags & 7) + 1);
    }

    private static int skipSubBlocks(byte[] b, int p, String what) throws Defect {
        while (true) {
            if (p >= b.length) {
                throw new Defect("ends inside the " + what + " (truncated)");
            }
            int size = b[p] & 0xff;
            p += 1 + size;
            if (size == 0) {
                return p;
            }
        }
    }

    // ---- BMP --------------------------------------------------------------------------------------------

    private static void checkBmp(byte[] b) throws Defect {
        int n = b.length;
        if (n < 26) {
            throw new Defect("ends inside the BMP header (truncated)");
        }
        long offset = u32le(b, 10);
        long headerSize = u32le(b, 14);
        long width;
        long height;
        int bitsPerPixel;
        long compression;
        if (headerSize == 12) {
            width = u16le(b, 18);
            height = u16le(b, 20);
            bitsPerPixel = u16le(b, 24);
            compression = 0;
        } else if (headerSize >= 40 && n >= 34) {
            width = (int) u32le(b, 18);
            height = Math.abs((long) (int) u32le(b, 22));
            bitsPerPixel = u16le(b, 28);
            compression = u32le(b, 30);
        } else {
            throw new Defect("BMP header of " + headerSize + " bytes (corrupt or truncated)");
        }
        if (width <= 0 || height <= 0 || offset > n || bitsPerPixel < 1 || bitsPerPixel > 64) {
            throw new Defect("BMP header declares " + width + "x" + height + " pixels of " + bitsPerPixel
                    + " bits at byte " + offset + " of " + n + " (corrupt or truncated)");
        }
        if (compression == 0 || compression == 3 || compression == 6) { // plain, bit fields, alpha bit fields
            long need = offset + (width * bitsPerPixel + 31) / 32 * 4 * height;
            if (need > n) {
                throw new Defect("pixel data ends after " + (n - offset) + " of " + (need - offset) + " bytes (truncated)");
            }
        } else if (compression == 1 || compression == 2) {
            checkBmpRle(b, (int) offset, compression == 2);
        } else {
            throw new Defect("BMP compression " + compression + " is not accepted (only plain and RLE bitmaps)");
        }
    }

    /** Walks RLE8 / RLE4 codes to the end-of-bitmap code (00 01). */
    private static void checkBmpRle(byte[] b, int p, boolean fourBit) throws Defect {
        int n = b.length;
        while (p + 2 <= n) {
            int count = b[p] & 0xff;
            int code = b[p + 1] & 0xff;
            p += 2;
            if (count > 0) {
                continue; // an encoded run
            }
            if (code == 1) {
                return;
            }
            if (code == 2) {
                p += 2; // delta
            } else if (code > 2) {
                int bytes = fourBit ? (code + 1) / 2 : code;
                p += bytes + (bytes & 1); // an absolute run, padded to 16 bits
            }
        }
        throw new Defect("RLE pixel data ends before its end-of-bitmap code (truncated)");
    }

    // ---- bytes ------------------------------------------------------------------------------------------

    private static boolean startsWith(byte[] b, byte[] prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static String printable(String type) {
        return type.chars().allMatch(c -> c >= 'A' && c <= 'z') ? type : "unnamed";
    }

    static int u16be(byte[] b, int p) {
        return (b[p] & 0xff) << 8 | (b[p + 1] & 0xff);
    }

    static long u32be(byte[] b, int p) {
        return (long) (b[p] & 0xff) << 24 | (b[p + 1] & 0xff) << 16 | (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff);
    }

    static int u16le(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8;
    }

    static long u32le(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (long) (b[p + 3] & 0xff) << 24;
    }
}
