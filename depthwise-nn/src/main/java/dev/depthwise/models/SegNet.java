package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.BatchNorm2d;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.DepthwiseSeparableConv2d;
import dev.depthwise.nn.Lowering;
import dev.depthwise.nn.MaxPool2d;
import dev.depthwise.nn.MaxUnpool2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.ReLU;
import dev.depthwise.nn.Sequential;

import java.util.SplittableRandom;

/**
 * SegNet as in "Efficient Image Segmentation Using PyTorch" (Matani &amp; Singh), part 2, and its
 * depthwise-separable variant of part 3 ({@link ConvKind#DEPTHWISE_SEPARABLE}, "SegNet-DSC").
 *
 * <p>An input BatchNorm2d(3); four encoder stages (2×, 2×, 3×, 3× conv-BN-ReLU: 3→64→128→256→512), each
 * ending in a 2×2 max-pool that keeps its indices; four decoder stages, each a max-unpool with the
 * mirrored encoder stage's indices and pre-pool size followed by N conv-BN-ReLU of which the last maps
 * the channels down (512→256→128→64→classes). Every conv is 3×3, padding 1, no bias.
 *
 * <p>Module names follow the article's notebook ({@code bn_input}, {@code dc1}…{@code dc4},
 * {@code uc4}…{@code uc1}, each with {@code seq} and {@code mp}/{@code mup}), so a state dict saved from
 * it loads key for key ({@code dc1.seq.0.weight}). Regular: 15,274,892 parameters; DSC: 1,749,671.
 */
public final class SegNet extends Module {
    /** Which conv fills every 3×3 slot. */
    public enum ConvKind { REGULAR, DEPTHWISE_SEPARABLE }

    private final ConvKind kind;
    private final BatchNorm2d bnInput;
    private final DownConv[] down;
    private final UpConv[] up;

    /**
     * @param classes    output channels (3: pet, background, border)
     * @param plainHead  false: the article's conv-BN-ReLU to the classes; true: a plain conv with bias
     *                   (unbounded logits) as the very last layer
     * @param seed       initialisation seed (PyTorch's default layer initialisation)
     */
    public SegNet(ConvKind kind, int classes, boolean plainHead, long seed) {
        if (classes < 1) {
            throw new IllegalArgumentException("SegNet: classes must be >= 1, got " + classes);
        }
        this.kind = kind;
        this.bnInput = addModule("bn_input", new BatchNorm2d(3));
        DownConv dc1 = addModule("dc1", new DownConv(kind, 3, 64, 2));
        DownConv dc2 = addModule("dc2", new DownConv(kind, 64, 128, 2));
        DownConv dc3 = addModule("dc3", new DownConv(kind, 128, 256, 3));
        DownConv dc4 = addModule("dc4", new DownConv(kind, 256, 512, 3));
        UpConv uc4 = addModule("uc4", new UpConv(kind, 512, 256, 3, dc4.mp, false));
        UpConv uc3 = addModule("uc3", new UpConv(kind, 256, 128, 3, dc3.mp, false));
        UpConv uc2 = addModule("uc2", new UpConv(kind, 128, 64, 2, dc2.mp, false));
        UpConv uc1 = addModule("uc1", new UpConv(kind, 64, classes, 2, dc1.mp, plainHead));
        this.down = new DownConv[] {dc1, dc2, dc3, dc4};
        this.up = new UpConv[] {uc4, uc3, uc2, uc1};
        chain(uc4, uc3);
        chain(uc3, uc2);
        chain(uc2, uc1);
        resetParameters(new SplittableRandom(seed));
    }

    public ConvKind kind() {
        return kind;
    }

    @Override
    public String typeName() {
        return kind == ConvKind.REGULAR ? "SegNet" : "SegNetDSC";
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        int[] s = x.shape();
        if (s.length != 4 || s[1] != 3) {
            throw g.error("expected an [N, 3, H, W] image batch, got " + Tensor.shapeString(s));
        }
        Lowering.Value y = g.lower("bn_input", bnInput, x);
        for (int i = 0; i < down.length; i++) {
            y = g.lower("dc" + (i + 1), down[i], y);
        }
        for (int i = 0; i < up.length; i++) {
            y = g.lower("uc" + (up.length - i), up[i], y);
        }
        return y;
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        if (x.rank() != 4 || x.c() != 3) {
            throw new IllegalArgumentException(typeName() + ": expected an [N, 3, H, W] image batch, got "
                    + x.shapeString());
        }
        Tensor y = bnInput.forward(x);
        for (DownConv d : down) {
            y = d.forward(y);
        }
        for (UpConv u : up) {
            y = u.forward(y);
        }
        return y;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        Tensor g = up[up.length - 1].backward(gradOut);
        for (int i = up.length - 2; i >= 0; i--) {
            g = backwardConsuming(up[i], g);
        }
        for (int i = down.length - 1; i >= 0; i--) {
            g = backwardConsuming(down[i], g);
        }
        return backwardConsuming(bnInput, g);
    }

    /** One 3×3 "same" conv of the given kind, no bias unless asked. */
    static Module conv3x3(ConvKind kind, int in, int out, boolean bias) {
        return kind == ConvKind.REGULAR
                ? new Conv2d(in, out, 3, 1, 1, 1, bias)
                : new DepthwiseSeparableConv2d(in, out, 3, 1, 1, bias);
    }

    /** The article's DownConv2/DownConv3: N conv-BN-ReLU then a 2×2 max-pool keeping indices. */
    static final class DownConv extends Module {
        private final Sequential seq;
        private final MaxPool2d mp;
        private final int convs;

        DownConv(ConvKind kind, int in, int out, int convs) {
            this.convs = convs;
            Sequential s = new Sequential();
            for (int i = 0; i < convs; i++) {
                s.add(conv3x3(kind, i == 0 ? in : out, out, false));
                s.add(new BatchNorm2d(out));
                s.add(new ReLU());
            }
            this.seq = addModule("seq", s);
            this.mp = addModule("mp", new MaxPool2d(2, 2));
            chain(seq, mp);
        }

        @Override
        public String typeName() {
            return "DownConv" + convs;
        }

        @Override
        public Lowering.Value lower(Lowering g, Lowering.Value x) {
            return g.lower("mp", mp, g.lower("seq", seq, x));
        }

        @Override
        protected Tensor computeForward(Tensor x) {
            return forwardConsuming(mp, seq.forward(x));
        }

        @Override
        protected Tensor computeBackward(Tensor gradOut) {
            return backwardConsuming(seq, mp.backward(gradOut));
        }
    }

    /** The article's UpConv2/UpConv3: unpool with the mirrored stage's indices, then N conv-BN-ReLU. */
    static final class UpConv extends Module {
        private final Sequential seq;
        private final MaxUnpool2d mup;
        private final int convs;

        UpConv(ConvKind kind, int in, int out, int convs, MaxPool2d pairedPool, boolean plainHead) {
            this.convs = convs;
            Sequential s = new Sequential();
            for (int i = 0; i < convs; i++) {
                boolean last = i == convs - 1;
                int o = last ? out : in;
                if (last && plainHead) {
                    s.add(conv3x3(kind, in, o, true));
                } else {
                    s.add(conv3x3(kind, in, o, false));
                    s.add(new BatchNorm2d(o));
                    s.add(new ReLU());
                }
            }
            this.seq = addModule("seq", s);
            this.mup = addModule("mup", new MaxUnpool2d(pairedPool));
        }

        @Override
        public String typeName() {
            return "UpConv" + convs;
        }

        @Override
        public Lowering.Value lower(Lowering g, Lowering.Value x) {
            return g.lower("seq", seq, g.lower("mup", mup, x));
        }

        @Override
        protected Tensor computeForward(Tensor x) {
            return seq.forward(mup.forward(x));
        }

        @Override
        protected Tensor computeBackward(Tensor gradOut) {
            return backwardConsuming(mup, seq.backward(gradOut));
        }

        @Override
        public boolean backwardReturnsOwnBuffer() {
            return true;
        }

        @Override
        public ReLU trailingActivation() {
            return seq.trailingActivation();
        }
    }
}
