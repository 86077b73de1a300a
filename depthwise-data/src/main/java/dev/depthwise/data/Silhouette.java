package dev.depthwise.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A random animal-like silhouette for {@link SyntheticPets}: an elliptical body, a round head, ears
 * (pointed for cats, drooping for dogs), legs and a tail, built in a body frame and then posed
 * (scaled, rotated, mirrored, placed) in the image.
 */
final class Silhouette {
    private final int size;
    private final List<Part> parts = new ArrayList<>();
    private final double cx;
    private final double cy;
    private final double cos;
    private final double sin;
    private final double scale;
    private final boolean mirrored;

    /** Species 1 is a cat, 2 a dog. */
    Silhouette(int species, int size, SplittableRandom rng) {
        this.size = size;
        this.scale = size * rng.nextDouble(0.16, 0.3);
        double angle = rng.nextDouble(-0.6, 0.6);
        this.cos = Math.cos(angle);
        this.sin = Math.sin(angle);
        this.mirrored = rng.nextBoolean();
        // Keep most of the pet in frame; a little cropping happens in real photos too.
        this.cx = size * rng.nextDouble(0.35, 0.65);
        this.cy = size * rng.nextDouble(0.38, 0.62);

        // Body frame: x forward (towards the head), y down, body half-length 1.
        double bodyHalfHeight = rng.nextDouble(0.45, 0.7);
        parts.add(new Ellipse(0, 0, 1, bodyHalfHeight, 0));
        double headR = rng.nextDouble(0.35, 0.55);
        double headX = rng.nextDouble(0.8, 1.1);
        double headY = -bodyHalfHeight * rng.nextDouble(0.4, 1.0);
        parts.add(new Ellipse(headX, headY, headR * rng.nextDouble(1.0, 1.3), headR, rng.nextDouble(-0.3, 0.3)));
        if (species == 2) {
            parts.add(new Ellipse(headX + headR * 0.9, headY + headR * 0.2, headR * 0.55, headR * 0.35, 0.2)); // snout
        }
        for (int e = 0; e < 2; e++) {
            double ex = headX + headR * (e == 0 ? -0.45 : 0.35);
            if (species == 1) { // pointed cat ears
                double tipX = ex + rng.nextDouble(-0.1, 0.1);
                double tipY = headY - headR * rng.nextDouble(1.4, 1.8);
                parts.add(new Triangle(ex - headR * 0.3, headY - headR * 0.5, ex + headR * 0.3, headY - headR * 0.5, tipX, tipY));
            } else { // drooping dog ears
                parts.add(new Ellipse(ex - headR * 0.3, headY + headR * 0.1, headR * 0.25, headR * rng.nextDouble(0.6, 0.9),
                        rng.nextDouble(-0.4, 0.4)));
            }
        }
        boolean lying = rng.nextInt(4) == 0;
        double legLength = lying ? rng.nextDouble(0.15, 0.3) : rng.nextDouble(0.6, 1.0);
        double legWidth = rng.nextDouble(0.1, 0.16);
        for (double lx : new double[]{-0.65, -0.4, 0.45, 0.7}) {
            double x0 = lx + rng.nextDouble(-0.08, 0.08);
            double y0 = bodyHalfHeight * 0.6;
            double swing = rng.nextDouble(-0.35, 0.35);
            parts.add(new Capsule(x0, y0, x0 + Math.sin(swing) * legLength, y0 + Math.cos(swing) * legLength, legWidth));
        }
        // Tail: a chain of capsules curling from the rear.
        double tx = -0.95;
        double ty = -bodyHalfHeight * 0.3;
        double dir = Math.PI + rng.nextDouble(-1.2, 0.6);
        double curl = rng.nextDouble(-0.6, 0.6);
        double tailWidth = rng.nextDouble(0.06, 0.12);
        int segments = 2 + rng.nextInt(3);
        for (int s = 0; s < segments; s++) {
            double len = rng.nextDouble(0.25, 0.4);
            double nx = tx + Math.cos(dir) * len;
            double ny = ty + Math.sin(dir) * len;
            parts.add(new Capsule(tx, ty, nx, ny, tailWidth));
            tx = nx;
            ty = ny;
            dir += curl;
        }
    }

    /** Pixel (x, y) is inside when its centre falls inside any part. */
    boolean[] rasterise() {
        boolean[] inside = new boolean[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double dx = x + 0.5 - cx;
                double dy = y + 0.5 - cy;
                double bx = (dx * cos + dy * sin) / scale;
                double by = (-dx * sin + dy * cos) / scale;
                if (mirrored) {
                    bx = -bx;
                }
                for (Part p : parts) {
                    if (p.contains(bx, by)) {
                        inside[y * size + x] = true;
                        break;
                    }
                }
            }
        }
        return inside;
    }

    private interface Part {
        boolean contains(double x, double y);
    }

    private static final class Ellipse implements Part {
        private final double cx;
        private final double cy;
        private final double cosOverA;
        private final double sinOverA;
        private final double cosOverB;
        private final double sinOverB;

        Ellipse(double cx, double cy, double a, double b, double angle) {
            this.cx = cx;
            this.cy = cy;
            this.cosOverA = Math.cos(angle) / a;
            this.sinOverA = Math.sin(angle) / a;
            this.cosOverB = Math.cos(angle) / b;
            this.sinOverB = Math.sin(angle) / b;
        }

        @Override
        public boolean contains(double x, double y) {
            double dx = x - cx;
            double dy = y - cy;
            double u = dx * cosOverA + dy * sinOverA;
            double v = -dx * sinOverB + dy * cosOverB;
            return u * u + v * v <= 1;
        }
    }

    /** A segment thickened by {@code radius}: legs and tail pieces. */
    private record Capsule(double x0, double y0, double x1, double y1, double radius) implements Part {
        @Override
        public boolean contains(double x, double y) {
            double vx = x1 - x0;
            double vy = y1 - y0;
            double t = ((x - x0) * vx + (y - y0) * vy) / (vx * vx + vy * vy);
            t = Math.max(0, Math.min(1, t));
            double px = x0 + t * vx - x;
            double py = y0 + t * vy - y;
            return px * px + py * py <= radius * radius;
        }
    }

    private record Triangle(double ax, double ay, double bx, double by, double cx, double cy) implements Part {
        @Override
        public boolean contains(double x, double y) {
            double d1 = (x - bx) * (ay - by) - (ax - bx) * (y - by);
            double d2 = (x - cx) * (by - cy) - (bx - cx) * (y - cy);
            double d3 = (x - ax) * (cy - ay) - (cx - ax) * (y - ay);
            boolean neg = d1 < 0 || d2 < 0 || d3 < 0;
            boolean pos = d1 > 0 || d2 > 0 || d3 > 0;
            return !(neg && pos);
        }
    }
}
