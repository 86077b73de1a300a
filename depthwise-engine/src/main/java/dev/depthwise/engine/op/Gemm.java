package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;

/**
 * Single-precision matrix multiply on row-major arrays: {@code C = (accumulate ? C : 0) + op(A)·op(B)},
 * where {@code op(A)} is {@code m×k}, {@code op(B)} is {@code k×n}, and {@code op} transposes when its flag is set
 * (so a transposed A is stored {@code k×m}).
 */
public final class Gemm {
    private Gemm() {
    }

    public static void matmul(boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, boolean accumulate) {
        checkArgs(m, n, k, a, aOff, b, bOff, c, cOff);
        if (m == 0 || n == 0) {
            return;
        }
        Parallel.forRange(m, Math.max(1, 4096 / Math.max(1, n)), (from, to) -> {
            for (int i = from; i < to; i++) {
                int cRow = cOff + i * n;
                if (!accumulate) {
                    java.util.Arrays.fill(c, cRow, cRow + n, 0f);
                }
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
                    if (av == 0f) {
                        continue;
                    }
                    if (transB) {
                        for (int j = 0; j < n; j++) {
                            c[cRow + j] += av * b[bOff + j * k + p];
                        }
                    } else {
                        int bRow = bOff + p * n;
                        for (int j = 0; j < n; j++) {
                            c[cRow + j] += av * b[bRow + j];
                        }
                    }
                }
            }
        });
    }

    private static void checkArgs(int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
                                  float[] c, int cOff) {
        if (m < 0 || n < 0 || k < 0 || aOff < 0 || bOff < 0 || cOff < 0) {
            throw new IllegalArgumentException("gemm: negative size or offset (m=" + m + ", n=" + n + ", k=" + k
                    + ", aOff=" + aOff + ", bOff=" + bOff + ", cOff=" + cOff + ")");
        }
        requireFits("A", a, aOff, (long) m * k, m, k, n);
        requireFits("B", b, bOff, (long) k * n, m, k, n);
        requireFits("C", c, cOff, (long) m * n, m, k, n);
    }

    private static void requireFits(String name, float[] array, int off, long size, int m, int k, int n) {
        if (size > 0 && (array == null || off + size > array.length)) {
            throw new IllegalArgumentException("gemm: " + name + " needs " + size + " elements from offset " + off
                    + " for m=" + m + ", k=" + k + ", n=" + n + ", but has length "
                    + (array == null ? "null" : String.valueOf(array.length)));
        }
    }
}
