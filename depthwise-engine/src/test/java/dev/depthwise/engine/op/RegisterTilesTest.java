package dev.depthwise.engine.op;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every generated register tile, including those {@link RegisterTiles} does not choose on this machine and JDK (the
 * 512-bit shapes on an AVX2 machine, the JDK 17 shapes on JDK 25, and the reverse), computes exactly what a scalar loop of {@link Math#fma} in the same order
 * computes: the kernels' own tests only reach the shapes of the width they run on.
 */
class RegisterTilesTest {
    private static final int B = ChannelBlocks.SIZE;
    private static final Pattern CONV_TILE = Pattern.compile("(channels|taps)(\\d+)x(\\d+)");
    private static final Pattern GEMM_TILE = Pattern.compile("rows(\\d+)");

    @Test
    void everyConvTileMatchesAScalarSum() throws Exception {
        List<String> seen = new ArrayList<>();
        for (Method m : ConvTiles.class.getDeclaredMethods()) {
            Matcher name = CONV_TILE.matcher(m.getName());
            if (!name.matches()) {
                continue;
            }
            boolean taps = name.group(1).equals("taps");
            int pixels = Integer.parseInt(name.group(2)), blocks = Integer.parseInt(name.group(3));
            checkConvTile(m, taps, pixels, blocks);
            seen.add(m.getName());
        }
        // Every choice's shapes: 6x2, 5x2, 4x2, 3x2, 12x1, 10x1, 8x1 and 1x2, for both kinds of term.
        assertEquals(16, seen.size(), "generated conv tiles: " + seen);
    }

    @Test
    void everyGemmTileMatchesAScalarSum() throws Exception {
        int seen = 0;
        for (Method m : GemmTiles.class.getDeclaredMethods()) {
            Matcher name = GEMM_TILE.matcher(m.getName());
            if (name.matches()) {
                checkGemmTile(m, Integer.parseInt(name.group(1)));
                seen++;
            }
        }
        assertEquals(3, seen, "generated GEMM tiles (8, 6 and 5 rows)");
        assertTrue(Gemm.MR == 8 || Gemm.MR == 6 || Gemm.MR == 5, "Gemm.MR is a generated tile's rows");
    }

    private static void checkConvTile(Method tile, boolean taps, int pixels, int blocks) throws Exception {
        Random random = new Random(pixels * 31 + blocks + (taps ? 7 : 0));
        int terms = 29; // any count: taps, and the channels of one pass over a panel row
        int step = 3; // taps: pixels this far apart
        int blockStride = 40 * B; // taps: the offsets' range
        int rowStep = taps ? step : ConvTiles.ROW; // pixel to pixel
        float[] xs = gaussian(random, 4 * blockStride + 13 * ConvTiles.ROW);
        int[] offs = new int[terms];
        for (int t = 0; t < terms; t++) {
            offs[t] = random.nextInt(blockStride);
        }
        int in0 = 5;
        float[] ws = gaussian(random, 2 * terms * B + 3 * B);
        int wOff = B;
        float[] bias = gaussian(random, 4 * B);
        int bOff = B;
        float[] sa = gaussian(random, 64 * B), sb = gaussian(random, 64 * B);
        int ra = 2 * B, ka = B + 3, rb = B, kb = B + 1;
        float lo = -1.5f, hi = 2f;
        float[] os = new float[64 * B];
        int o = 3, ob = 32 * B;
        List<Object> args = new ArrayList<>(List.of(xs, in0));
        if (taps) {
            args.add(offs);
            args.add(step);
        }
        args.addAll(List.of(terms, ws, wOff, bias, bOff, sa, ra, ka));
        if (blocks == 2) {
            args.addAll(List.of(sb, rb, kb, os, o, ob));
        } else {
            args.addAll(List.of(os, o));
        }
        args.add(lo);
        args.add(hi);
        tile.invoke(null, args.toArray());

        float[] expected = new float[os.length];
        for (int block = 0; block < blocks; block++) {
            float[] start = block == 0 ? sa : sb;
            int r = block == 0 ? ra : rb, k = block == 0 ? ka : kb, out = block == 0 ? o : ob;
            for (int j = 0; j < pixels; j++) {
                for (int lane = 0; lane < B; lane++) {
                    float acc = bias[bOff + block * B + lane] + start[r + j * k + lane];
                    for (int t = 0; t < terms; t++) {
                        int i = (taps ? in0 + offs[t] : in0 + t) + j * rowStep;
                        acc = Math.fma(ws[wOff + (2 * t + block) * B + lane], xs[i], acc);
                    }
                    expected[out + j * B + lane] = Math.min(Math.max(acc, lo), hi);
                }
            }
        }
        assertArrayEquals(expected, os, tile.getName());
    }

    private static void checkGemmTile(Method tile, int rows) throws Exception {
        int l = Gemm.S.length(), kc = 37, ldc = 2 * l + 5, cAt = 2;
        Random random = new Random(rows);
        float[] ap = gaussian(random, rows * kc + 3), bp = gaussian(random, 2 * l * kc + 1);
        for (boolean overwrite : new boolean[] {true, false}) {
            float[] c = gaussian(random, cAt + rows * ldc);
            float[] expected = c.clone();
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < 2 * l; j++) {
                    float acc = overwrite ? 0f : c[cAt + r * ldc + j];
                    for (int p = 0; p < kc; p++) {
                        acc = Math.fma(ap[1 + p * rows + r], bp[p * 2 * l + j], acc);
                    }
                    expected[cAt + r * ldc + j] = acc;
                }
            }
            tile.invoke(null, ap, 1, bp, 0, kc, c, cAt, ldc, overwrite);
            assertArrayEquals(expected, c, tile.getName() + (overwrite ? "" : ", accumulating"));
        }
    }

    private static float[] gaussian(Random random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }
}
