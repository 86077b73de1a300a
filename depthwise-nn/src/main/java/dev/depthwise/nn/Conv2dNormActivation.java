package dev.depthwise.nn;

/**
 * Conv2d (no bias) + BatchNorm2d + an optional activation, as torchvision's
 * {@code ops.misc.Conv2dNormActivation}; padding is {@code (kernel - 1) / 2} so stride 1 keeps the size.
 * Its children are {@code 0, 1, 2}, which gives MobileNetV2's keys {@code features.0.0.weight}.
 */
public final class Conv2dNormActivation extends Sequential {
    /** With ReLU6 as MobileNetV2 uses; {@code activation} may be null for none. */
    public Conv2dNormActivation(int in, int out, int kernel, int stride, int groups, Module activation) {
        add(new Conv2d(in, out, kernel, stride, (kernel - 1) / 2, groups, false));
        add(new BatchNorm2d(out));
        if (activation != null) {
            add(activation);
        }
    }

    public Conv2d conv() {
        return (Conv2d) get(0);
    }

    public BatchNorm2d norm() {
        return (BatchNorm2d) get(1);
    }
}
