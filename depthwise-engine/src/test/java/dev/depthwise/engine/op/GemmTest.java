package dev.depthwise.engine.op;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.depthwise.engine.Parallel;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class GemmTest {

    /** Sizes around the micro-kernel's tile edges (rows, vector widths, cache blocks) and degenerate ones. */
    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @CsvSource({"1,1,1", "3,5,7", "6,16,8", "7,33,9", "13,47,29", "1,100,3", "100,1,3", "64,64,64",
            "37,129,300", "130,70,17", "0,5,3", "5,0,3", "5,4,0", "200,300,260", "13,10,1100", "64,24,3000",
            "3,300,4200"})
    void matchesDefinitionForEveryTransposeAndAccumulate(int m, int n, int k) {
        Random r = new Random(31L * m + 17L * n + k);
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (boolean acc : new boolean[] {false, true}) {
                    int aOff = 3, bOff = 5, cOff = 2;
                    float[] a = Tensors.gaussian(r, aOff + m * k + 4);
                    float[] b = Tensors.gaussian(r, bOff + k * n + 1);
                    float[] c = Tensors.gaussian(r, cOff + m * n + 2);
                    float[] expected = c.clone();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = acc ? c[cOff + i * n + j] : 0;
                            for (int p = 0; p < k; p++) {
                                float av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
                                float bv = transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
                                s += (double) av * bv;
                            }
                            expected[cOff + i * n + j] = (float) s;
                        }
                    }
                    Gemm.matmul(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, acc);
                    for (int i = 0; i < c.length; i++) {
                        assertEquals(expected[i], c[i], 1e-4f * Math.max(1, Math.sqrt(k)),
                                "element " + i + " transA=" + transA + " transB=" + transB + " acc=" + acc);
                    }
                }
            }
        }
    }

    /**
     * Weights packed once into a reused, larger buffer (in parallel: 8 KC-deep blocks at 2 and 3 threads) give the
     * same product, bit for bit, as the plain GEMM that packs them itself; so does a B packed by a {@link
     * Gemm.PanelSource} that copies it from the stored matrix.
     */
    @Test
    void packedOperandsGiveThePlainProduct() {
        int m = 70, n = 45, k = 2000;
        Random r = new Random(5);
        float[] a = Tensors.gaussian(r, m * k);
        float[] b = Tensors.gaussian(r, k * n);
        float[] expected = new float[m * n];
        Gemm.matmulOnThisThread(false, false, m, n, k, a, 0, k, b, 0, n, expected, 0, n, false);
        Gemm.PanelSource source = (pc, kc, jc, nc, dst) -> {
            for (int jr = 0; jr < nc; jr += Gemm.NR) {
                for (int p = 0; p < kc; p++) {
                    for (int j = 0; j < Gemm.NR; j++) {
                        dst[jr * kc + p * Gemm.NR + j] = jr + j < nc ? b[(pc + p) * n + jc + jr + j] : 0f;
                    }
                }
            }
        };
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            try {
                float[] packed = new float[Gemm.packedRows(m) * k + 11];
                Arrays.fill(packed, Float.NaN);
                Gemm.packA(false, m, k, a, 0, k, packed);
                float[] c = new float[m * n];
                Gemm.matmulPackedAOnThisThread(0, m, m, n, k, packed, b, 0, n, c, 0, n);
                assertArrayEquals(expected, c, "packed A, threads " + threads);
                float[] aT = new float[k * m]; // the same A stored transposed, packed as op(A) = (aT)^T
                for (int i = 0; i < m; i++) {
                    for (int p = 0; p < k; p++) {
                        aT[p * m + i] = a[i * k + p];
                    }
                }
                Arrays.fill(packed, Float.NaN);
                Gemm.packA(true, m, k, aT, 0, m, packed);
                Arrays.fill(c, Float.NaN);
                Gemm.matmulPackedAOnThisThread(0, m, m, n, k, packed, b, 0, n, c, 0, n);
                assertArrayEquals(expected, c, "packed transposed A, threads " + threads);
                float[] fromSource = Tensors.gaussian(r, m * n);
                Gemm.matmulOnThisThread(m, n, k, a, 0, k, source, fromSource, 0, n, false);
                assertArrayEquals(expected, fromSource, "panel source B");
            } finally {
                Parallel.setThreads(Runtime.getRuntime().availableProcessors());
            }
        }
    }

    @Test
    void rejectsArraysTooShort() {
        float[] a = new float[5];
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmul(false, false, 2, 3, 3, a, 0, new float[9], 0, new float[6], 0, false));
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmul(false, false, 2, 3, 3, new float[6], 0, new float[9], 1, new float[6], 0, false));
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmul(false, false, 2, 3, 3, new float[6], 0, new float[9], 0, new float[5], 0, false));
    }
}
