package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Children named {@code 0, 1, 2, ...} run in order, as {@code torch.nn.Sequential}. */
public class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    /** Appends a module under the next index. */
    public final Sequential add(Module m) {
        addModule(Integer.toString(layers.size()), m);
        layers.add(m);
        return this;
    }

    public final Module get(int index) {
        return layers.get(index);
    }

    public final int size() {
        return layers.size();
    }

    @Override
    protected Tensor computeForward(Tensor x) {
        for (Module m : layers) {
            x = m.forward(x);
        }
        return x;
    }

    @Override
    protected Tensor computeBackward(Tensor gradOut) {
        for (int i = layers.size() - 1; i >= 0; i--) {
            gradOut = layers.get(i).backward(gradOut);
        }
        return gradOut;
    }
}
