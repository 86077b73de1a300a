package dev.depthwise.engine.op;

import dev.depthwise.engine.Parallel;

/**
 * A loop over {@code n} items split across the thread team, bound once; the subclass is the body. Being its own
 * {@link Parallel.RangeBody}, a prepared op built on it allocates nothing when run, on any thread.
 */
abstract class PreparedLoop implements Runnable, Parallel.RangeBody {
    private final int n;
    private final int grain;

    /** {@code grain}: the fewest items worth a task of their own. */
    PreparedLoop(int n, int grain) {
        this.n = n;
        this.grain = grain;
    }

    @Override
    public void run() {
        Parallel.forRange(n, grain, this);
    }
}
