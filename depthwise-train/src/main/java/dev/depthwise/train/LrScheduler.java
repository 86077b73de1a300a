package dev.depthwise.train;

import java.util.Locale;

/**
 * A learning-rate schedule by epoch, as PyTorch's {@code torch.optim.lr_scheduler}, in closed form: the
 * rate of epoch {@code e} (0-based) depends on nothing but {@code e}, so a resumed run needs no scheduler
 * state beyond the epoch it restarts at. The trainer sets {@code lr(e)} before epoch {@code e}, which
 * equals PyTorch's habit of calling {@code scheduler.step()} once after every epoch.
 */
public interface LrScheduler {
    /** The learning rate for epoch {@code epoch} (0-based). */
    double lr(int epoch);

    /** How the schedule is written on the command line and in checkpoint metadata, e.g. {@code step(7,0.7)}. */
    String describe();

    /** A constant rate. */
    static LrScheduler constant(double lr) {
        return new LrScheduler() {
            @Override
            public double lr(int epoch) {
                return lr;
            }

            @Override
            public String describe() {
                return "constant";
            }
        };
    }

    /** {@code torch.optim.lr_scheduler.StepLR}: the base rate times gamma^(epoch / stepSize). */
    static LrScheduler step(double baseLr, int stepSize, double gamma) {
        if (stepSize < 1) {
            throw new IllegalArgumentException("StepLR step size must be at least 1, got " + stepSize);
        }
        return new LrScheduler() {
            @Override
            public double lr(int epoch) {
                return baseLr * Math.pow(gamma, epoch / stepSize);
            }

            @Override
            public String describe() {
                return String.format(Locale.ROOT, "step(step_size=%d, gamma=%s)", stepSize, gamma);
            }
        };
    }

    /**
     * {@code torch.optim.lr_scheduler.CosineAnnealingLR} in its closed form:
     * etaMin + (baseLr − etaMin)·(1 + cos(π·epoch / tMax)) / 2.
     */
    static LrScheduler cosine(double baseLr, int tMax, double etaMin) {
        if (tMax < 1) {
            throw new IllegalArgumentException("CosineAnnealingLR T_max must be at least 1, got " + tMax);
        }
        return new LrScheduler() {
            @Override
            public double lr(int epoch) {
                return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
            }

            @Override
            public String describe() {
                return String.format(Locale.ROOT, "cosine(T_max=%d, eta_min=%s)", tMax, etaMin);
            }
        };
    }

    /**
     * The small-data recipe's: a linear warm-up over {@code warmup} epochs (base·(e+1)/(warmup+1)), then a cosine
     * from the base rate to 0 over the remaining epochs.
     */
    static LrScheduler warmupCosine(double baseLr, int warmup, int epochs) {
        if (warmup < 0 || warmup >= epochs) {
            throw new IllegalArgumentException("warm-up of " + warmup + " epochs must be shorter than the run's " + epochs);
        }
        return new LrScheduler() {
            @Override
            public double lr(int epoch) {
                if (epoch < warmup) {
                    return baseLr * (epoch + 1) / (warmup + 1);
                }
                return baseLr * (1 + Math.cos(Math.PI * (epoch - warmup) / (epochs - warmup))) / 2;
            }

            @Override
            public String describe() {
                return String.format(Locale.ROOT, "warmup-cosine(warmup=%d, T_max=%d)", warmup, epochs - warmup);
            }
        };
    }
}
