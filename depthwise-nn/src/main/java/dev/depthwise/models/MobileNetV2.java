package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.AdaptiveAvgPool2d;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Conv2dNormActivation;
import dev.depthwise.nn.Dropout;
import dev.depthwise.nn.Flatten;
import dev.depthwise.nn.Init;
import dev.depthwise.nn.Linear;
import dev.depthwise.nn.Lowering;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.ReLU6;
import dev.depthwise.nn.Sequential;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * MobileNetV2 (Sandler et al. 2018) exactly as torchvision's {@code mobilenet_v2}: same blocks, same
 * channel rounding, same state-dict keys ({@code features.0.0.weight} … {@code classifier.1.bias}), same
 * initialisation. Width 1.0 and 1000 classes: 3,504,872 parameters and 300.8M multiply-adds at 224×224
 * ({@code bin/depthwise summary mobilenet_v2}).
 */
public final class MobileNetV2 extends Module {
    /** The paper's table: expansion t, output channels c, repeats n, first stride s. */
    static final int[][] INVERTED_RESIDUAL_SETTING = {
            {1, 16, 1, 1},
            {6, 24, 2, 2},
            {6, 32, 3, 2},
            {6, 64, 4, 2},
            {6, 96, 3, 1},
            {6, 160, 3, 2},
            {6, 320, 1, 1},
    };
    static final int FIRST_CHANNELS = 32;
    static final int LAST_CHANNELS = 1280;
    static final int ROUND_NEAREST = 8;

    private final Sequential features;
    private final Sequential classifier;
    // torchvision pools and flattens functionally in forward(), so these are not children: the printout
    // and the state dict stay identical to torchvision's.
    private final AdaptiveAvgPool2d pool = new AdaptiveAvgPool2d(1);
    private final Flatten flatten = new Flatten();
    private final double width;
    private final int classes;

    public MobileNetV2(int classes, double width, float dropout, long seed) {
        if (classes < 1 || !(width > 0)) {
            throw new IllegalArgumentException("MobileNetV2: classes must be >= 1 and width > 0, got "
                    + classes + ", " + width);
        }
        this.width = width;
        this.classes = classes;
        this.features = addModule("features", buildFeatures(width));
        int last = lastChannels(width);
        this.classifier = addModule("classifier", new Sequential(new Dropout(dropout, seed + 1), new Linear(last, classes)));
        initialise(this, new SplittableRandom(seed));
        chain(features, pool);
    }

    /** Width 1.0, 1000 classes, dropout 0.2: torchvision's {@code mobilenet_v2()}. */
    public MobileNetV2(long seed) {
        this(1000, 1.0, 0.2f, seed);
    }

    /** The stem, the 17 inverted-residual blocks and the 1×1 head conv: {@code features.0} … {@code features.18}. */
    static Sequential buildFeatures(double width) {
        Sequential f = buildBlocks(width);
        f.add(new Conv2dNormActivation(((InvertedResidual) f.get(f.size() - 1)).outChannels(), lastChannels(width),
                1, 1, 1, new ReLU6(true)));
        return f;
    }

    /** The stem and the 17 inverted-residual blocks ({@code features.0} … {@code features.17}), one loop over the table. */
    static Sequential buildBlocks(double width) {
        int in = makeDivisible(FIRST_CHANNELS * width, ROUND_NEAREST);
        Sequential f = new Sequential(new Conv2dNormActivation(3, in, 3, 2, 1, new ReLU6(true)));
        for (int[] row : INVERTED_RESIDUAL_SETTING) {
            int t = row[0];
            int out = makeDivisible(row[1] * width, ROUND_NEAREST);
            for (int i = 0; i < row[2]; i++) {
                f.add(new InvertedResidual(in, out, i == 0 ? row[3] : 1, t));
                in = out;
            }
        }
        return f;
    }

    /** The last channel count is widened for width > 1 only, as torchvision. */
    static int lastChannels(double width) {
        return makeDivisible(LAST_CHANNELS * Math.max(1.0, width), ROUND_NEAREST);
    }

    /**
     * torchvision's {@code _make_divisible}: the nearest multiple of {@code divisor}, never below it,
     * plus one more divisor where rounding down would lose more than 10%.
     */
    public static int makeDivisible(double v, int divisor) {
        int rounded = Math.max(divisor, (int) (v + divisor / 2.0) / divisor * divisor);
        if (rounded < 0.9 * v) {
            rounded += divisor;
        }
        return rounded;
    }

    /** torchvision's initialisation: Kaiming-normal fan-out convs, BN 1/0, Linear N(0, 0.01) and bias 0. */
    static void initialise(Module model, RandomGenerator rng) {
        for (Module m : model.namedModules().values()) {
            if (m instanceof Conv2d c) {
                Init.kaimingNormalFanOut(c.weight().value(), rng);
                if (c.bias() != null) {
                    c.bias().value().fill(0f);
                }
            } else if (m instanceof BatchNorm2d bn) {
                bn.weight().value().fill(1f);
                bn.bias().value().fill(0f);
            } else if (m instanceof Linear l) {
                Init.normal(l.weight().value(), 0.01, rng);
                l.bias().value().fill(0f);
            }
        }
    }

    public Sequential features() {
        return features;
    }

    public Sequential classifier() {
        return classifier;
    }

    public double width() {
        return width;
    }

    public int classes() {
        return classes;
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        // torchvision pools and flattens functionally: not children, but named here for the plan printout.
        Lowering.Value f = g.lower("features", features, x);
        return g.lower("classifier", classifier, g.lower("flatten", flatten, g.lower("avgpool", pool, f)));
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        Tensor f = features.forward(x);
        return classifier.forward(flatten.forward(pool.forward(f)));
    }

    @Override
    public void skipInputGradient() {
        features.skipInputGradient();
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        Tensor g = classifier.backward(gradOut);
        return backwardConsuming(features, backwardConsuming(pool, backwardConsuming(flatten, g)));
    }

    @Override
    public Module train(boolean on) {
        super.train(on);
        if (pool != null) {
            pool.train(on);
            flatten.train(on);
        }
        return this;
    }
}
