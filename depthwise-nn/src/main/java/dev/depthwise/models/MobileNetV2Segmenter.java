package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ElementwiseOp;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Conv2dNormActivation;
import dev.depthwise.nn.Init;
import dev.depthwise.nn.Lowering;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.ReLU6;
import dev.depthwise.nn.Sequential;
import dev.depthwise.nn.Upsample;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A U-Net with a MobileNetV2 encoder, as TensorFlow's pet-segmentation tutorial, made light for real-time
 * CPU use: the encoder is torchvision's {@code features.0}…{@code features.17} (the 1280-channel head
 * conv is dropped) with skips taken at strides 2, 4, 8 and 16 (outputs of blocks 1, 3, 6 and 13); the
 * decoder is four {@link UpBlock}s (bilinear ×2, concat, depthwise-separable conv with BN + ReLU6) back to
 * stride 2, then a bilinear ×2 to full size, a depthwise 3×3 and a 1×1 conv with bias to the classes.
 * Input height and width must be multiples of 32.
 *
 * <p>The encoder keys are torchvision's ({@code features.3.conv.1.0.weight}), so ImageNet MobileNetV2
 * weights load into it with {@link #loadEncoderWeights}. At width 1.0 and 3 classes: 1,865,331 parameters;
 * 104,513,536 multiply-adds at 128×128 and 320,072,704 at 224×224
 * ({@code bin/depthwise summary mobilenet_v2_seg --input 3,224,224}).
 */
public final class MobileNetV2Segmenter extends Module {
    /** Encoder blocks whose outputs feed the decoder, strides 2, 4, 8, 16. */
    static final int[] SKIP_BLOCKS = {1, 3, 6, 13};
    /** The decoder steps, by the stride they restore: each joins the skip of that stride. */
    private static final String[] UP_NAMES = {"up16", "up8", "up4", "up2"};

    private final Sequential features;
    private final UpBlock[] ups;
    private final Sequential head;
    private final Tensor[] skipGradSums = new Tensor[SKIP_BLOCKS.length];
    private final Tensor[] skips = new Tensor[SKIP_BLOCKS.length];

    public MobileNetV2Segmenter(int classes, double width, long seed) {
        if (classes < 1) {
            throw new IllegalArgumentException("MobileNetV2Segmenter: classes must be >= 1, got " + classes);
        }
        this.features = addModule("features", MobileNetV2.buildBlocks(width));
        int[] skipChannels = new int[SKIP_BLOCKS.length];
        for (int i = 0; i < SKIP_BLOCKS.length; i++) {
            skipChannels[i] = ((InvertedResidual) features.get(SKIP_BLOCKS[i])).outChannels();
        }
        int bottleneck = ((InvertedResidual) features.get(features.size() - 1)).outChannels();
        // Each decoder step ends with as many channels as its skip: the decoder mirrors the encoder.
        this.ups = new UpBlock[] {
                addModule(UP_NAMES[0], new UpBlock(bottleneck, skipChannels[3], skipChannels[3])),
                addModule(UP_NAMES[1], new UpBlock(skipChannels[3], skipChannels[2], skipChannels[2])),
                addModule(UP_NAMES[2], new UpBlock(skipChannels[2], skipChannels[1], skipChannels[1])),
                addModule(UP_NAMES[3], new UpBlock(skipChannels[1], skipChannels[0], skipChannels[0])),
        };
        int c = skipChannels[0];
        this.head = addModule("head", new Sequential(
                new Upsample(2, Upsample.Mode.BILINEAR),
                new Conv2dNormActivation(c, c, 3, 1, c, new ReLU6(true)),
                new Conv2d(c, classes, 1, 1, 0, 1, true)));
        chain(ups[0], ups[1]);
        chain(ups[1], ups[2]);
        chain(ups[2], ups[3]);
        chain(ups[3], head);
        MobileNetV2.initialise(this, new SplittableRandom(seed));
        // The classifier conv starts as PyTorch's default rather than Kaiming fan-out: small logits at first.
        Conv2d last = (Conv2d) head.get(2);
        Init.pytorchDefault(last.weight().value(), last.bias().value(), new SplittableRandom(seed + 1));
    }

    public Sequential features() {
        return features;
    }

    /** Indices of the encoder blocks whose outputs are the decoder's skips, strides 2, 4, 8, 16. */
    public static int[] skipBlocks() {
        return SKIP_BLOCKS.clone();
    }

    /**
     * Loads ImageNet MobileNetV2 weights (a torchvision state dict: {@code features.*} and
     * {@code classifier.*}) into the encoder; the classifier and the 1×1 head conv ({@code features.18})
     * are ignored. Every encoder key must be present with the right shape.
     *
     * @throws dev.depthwise.nn.StateDictException listing encoder keys missing or mis-shaped
     */
    public void loadEncoderWeights(Map<String, Tensor> mobileNetV2State) {
        Map<String, Tensor> encoder = new LinkedHashMap<>();
        Map<String, Tensor> own = features.stateDict();
        mobileNetV2State.forEach((k, v) -> {
            if (k.startsWith("features.") && own.containsKey(k.substring("features.".length()))) {
                encoder.put(k.substring("features.".length()), v);
            }
        });
        features.loadStateDict(encoder, true);
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        int[] s = x.shape();
        if (s.length != 4 || s[1] != 3 || s[2] % 32 != 0 || s[3] % 32 != 0) {
            throw g.error("expected [N, 3, H, W] with H and W multiples of 32, got " + Tensor.shapeString(s));
        }
        Lowering.Value[] taps = new Lowering.Value[SKIP_BLOCKS.length];
        Lowering.Value y = x;
        for (int i = 0, tap = 0; i < features.size(); i++) {
            y = g.lower("features." + i, features.get(i), y);
            if (tap < SKIP_BLOCKS.length && i == SKIP_BLOCKS[tap]) {
                taps[tap++] = y;
            }
        }
        for (int i = 0; i < ups.length; i++) {
            UpBlock up = ups[i];
            Lowering.Value in = y, skip = taps[SKIP_BLOCKS.length - 1 - i];
            y = g.within(UP_NAMES[i], up, () -> up.lower(g, in, skip));
        }
        return g.lower("head", head, y);
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        if (x.rank() != 4 || x.c() != 3 || x.h() % 32 != 0 || x.w() % 32 != 0) {
            throw new IllegalArgumentException("MobileNetV2Segmenter: expected [N, 3, H, W] with H and W multiples"
                    + " of 32, got " + x.shapeString());
        }
        Tensor y = x;
        for (int i = 0, tap = 0; i < features.size(); i++) {
            y = features.get(i).forward(y);
            if (tap < SKIP_BLOCKS.length && i == SKIP_BLOCKS[tap]) {
                skips[tap++] = y;
            }
        }
        for (int i = 0; i < ups.length; i++) {
            y = ups[i].forward(y, skips[SKIP_BLOCKS.length - 1 - i]);
        }
        return head.forward(y);
    }

    @Override
    public void skipInputGradient() {
        features.get(0).skipInputGradient();
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        Tensor g = head.backward(gradOut);
        for (int i = ups.length - 1; i >= 0; i--) {
            g = backwardConsuming(ups[i], g);
        }
        // Walk the encoder backwards; at a tap the block's output also fed a decoder step, so the two
        // gradients add.
        int tap = SKIP_BLOCKS.length - 1;
        for (int i = features.size() - 1; i >= 0; i--) {
            if (tap >= 0 && i == SKIP_BLOCKS[tap]) {
                Tensor skipGrad = ups[SKIP_BLOCKS.length - 1 - tap].skipGradient();
                skipGradSums[tap] = reuse(skipGradSums[tap], g.shape());
                ElementwiseOp.add(g, skipGrad, skipGradSums[tap]);
                giveBack(g);
                g = skipGradSums[tap];
                tap--;
            }
            g = backwardConsuming(features.get(i), g);
        }
        return g;
    }
}
