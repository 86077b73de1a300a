package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Children named {@code 0, 1, 2, ...} run in order, as {@code torch.nn.Sequential}.
 *
 * <p>Inside a Sequential a child's output is seen only by the next child, which makes two buffer shares
 * safe (outputs and gradients are bitwise unchanged, see SharedBuffersTest): an activation right after a
 * BatchNorm2d runs in place on the BatchNorm's output, and its backward writes over the gradient handed back
 * by the following layer ({@link Module#chain}); the BatchNorm's backward then writes over the activation's
 * gradient. Each gradient a child returns goes back to the model's pool once the child before has read it
 * ({@link Module#backwardConsuming}).
 */
public class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    /** Appends a module under the next index. */
    public final Sequential add(Module m) {
        Module previous = layers.isEmpty() ? null : layers.get(layers.size() - 1);
        addModule(Integer.toString(layers.size()), m);
        layers.add(m);
        if (m instanceof ReLU relu && previous instanceof BatchNorm2d bn && sharesBuffers()) {
            relu.overwriteInput(bn);
            bn.overwriteGradOut();
        }
        if (previous != null) {
            chain(previous, m);
        }
        return this;
    }

    @Override
    public boolean backwardReturnsOwnBuffer() {
        return !layers.isEmpty() && layers.get(0).backwardReturnsOwnBuffer();
    }

    @Override
    public ReLU trailingActivation() {
        return layers.isEmpty() ? null : layers.get(layers.size() - 1).trailingActivation();
    }

    public final Module get(int index) {
        return layers.get(index);
    }

    public final int size() {
        return layers.size();
    }

    @Override
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        for (int i = 0; i < layers.size(); i++) {
            x = g.lower(Integer.toString(i), layers.get(i), x);
        }
        return x;
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        for (Module m : layers) {
            x = m.forward(x);
        }
        return x;
    }

    @Override
    public void skipInputGradient() {
        if (!layers.isEmpty()) {
            layers.get(0).skipInputGradient();
        }
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        int last = layers.size() - 1;
        Tensor g = gradOut;
        for (int i = last; i >= 0; i--) {
            g = i == last ? layers.get(i).backward(g) : backwardConsuming(layers.get(i), g);
        }
        return g;
    }
}
