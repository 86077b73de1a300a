package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;

/**
 * Argument checks shared by the ops, so that every kernel fails at its border with a message that
 * names the op and the shapes, instead of an ArrayIndexOutOfBoundsException from inside a loop.
 */
final class OpChecks {
    private OpChecks() {
    }

    static IllegalArgumentException fail(String op, String message) {
        return new IllegalArgumentException(op + ": " + message);
    }

    static Tensor present(String op, String name, Tensor t) {
        if (t == null) {
            throw fail(op, name + " is required but was null");
        }
        return t;
    }

    static void rank(String op, String name, Tensor t, int rank) {
        present(op, name, t);
        if (t.rank() != rank) {
            throw fail(op, name + " must have rank " + rank + ", got shape " + t.shapeString());
        }
    }

    static void rankAtLeast(String op, String name, Tensor t, int rank) {
        present(op, name, t);
        if (t.rank() < rank) {
            throw fail(op, name + " must have rank " + rank + " or more, got shape " + t.shapeString());
        }
    }

    static void sameShape(String op, String expectedName, Tensor expected, String name, Tensor t) {
        present(op, name, t);
        if (!t.hasShape(expected.shape())) {
            throw fail(op, name + " has shape " + t.shapeString() + " but " + expectedName + " has shape "
                    + expected.shapeString() + "; they must be equal");
        }
    }

    /** Checks a per-channel (or per-element) array; {@code null} is allowed and skipped. */
    static void length(String op, String name, float[] a, int expected, String context) {
        if (a != null && a.length != expected) {
            throw fail(op, name + " has length " + a.length + " but must have " + expected + " (" + context + ")");
        }
    }

    static void length(String op, String name, int[] a, int expected, String context) {
        if (a != null && a.length != expected) {
            throw fail(op, name + " has length " + a.length + " but must have " + expected + " (" + context + ")");
        }
    }

    static float[] required(String op, String name, float[] a) {
        if (a == null) {
            throw fail(op, name + " is required but was null");
        }
        return a;
    }

    static int[] required(String op, String name, int[] a) {
        if (a == null) {
            throw fail(op, name + " is required but was null");
        }
        return a;
    }

    /** Number of elements per (n, c) plane of a tensor of rank 2 or more: 1 for [N,C], H*W for NCHW. */
    static int planeSize(Tensor t) {
        int plane = 1;
        for (int d = 2; d < t.rank(); d++) {
            plane *= t.dim(d);
        }
        return plane;
    }
}
