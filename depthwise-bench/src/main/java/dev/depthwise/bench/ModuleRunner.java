package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Module;

/** Our engine's plain inference path: the model in eval mode, then {@code forward}. */
final class ModuleRunner implements InferenceRunner {
    private final Module model;
    private Tensor output;

    ModuleRunner(Module model) {
        this.model = model;
        model.eval();
    }

    @Override
    public String name() {
        return "ours";
    }

    @Override
    public void infer(Tensor input) {
        output = model.forward(input);
    }

    @Override
    public Tensor output() {
        return output;
    }
}
