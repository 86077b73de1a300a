package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Module;

/**
 * Gives a freshly initialised model realistic BatchNorm running statistics. With the initial ones (mean 0,
 * variance 1) a deep eval-mode network shrinks its activations layer after layer, so SegNet's outputs are
 * around 1e-13 and any comparison of outputs would pass trivially. After calibration the eval-mode
 * outputs on such inputs are of order one, and a difference of 1e-3 means something.
 */
final class Calibration {
    private Calibration() {
    }

    /**
     * Runs {@code batch} through {@code model} once in training mode (each BatchNorm normalising with the
     * batch's statistics) and sets every BatchNorm's running mean and variance to exactly the statistics
     * of its input; leaves the model in eval mode.
     */
    static void batchNormStatistics(Module model, Tensor batch) {
        for (Module m : model.namedModules().values()) {
            if (m instanceof BatchNorm2d bn) {
                bn.setForwardHook((layer, input, output) -> setStatistics(bn, input));
            }
        }
        try {
            model.train(true);
            model.forward(batch);
        } finally {
            for (Module m : model.namedModules().values()) {
                if (m instanceof BatchNorm2d) {
                    m.setForwardHook(null);
                }
            }
            model.eval();
        }
    }

    private static void setStatistics(BatchNorm2d bn, Tensor x) {
        int n = x.n(), c = x.c(), plane = x.h() * x.w();
        float[] data = x.data();
        float[] mean = bn.runningMean().data();
        float[] var = bn.runningVar().data();
        for (int ch = 0; ch < c; ch++) {
            double sum = 0, sumSq = 0;
            for (int i = 0; i < n; i++) {
                int base = (i * c + ch) * plane;
                for (int p = 0; p < plane; p++) {
                    double v = data[base + p];
                    sum += v;
                    sumSq += v * v;
                }
            }
            double count = (double) n * plane;
            double m = sum / count;
            mean[ch] = (float) m;
            var[ch] = (float) Math.max(0, sumSq / count - m * m);
        }
    }
}
