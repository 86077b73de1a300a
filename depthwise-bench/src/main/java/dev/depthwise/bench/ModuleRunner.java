package dev.depthwise.bench;

import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Module;

/** Our engine's inference path today: the model in eval mode, then {@code forward}. */
final class ModuleRunner implements InferenceRunner {
    private final Module model;

    ModuleRunner(Module model) {
        this.model = model;
        model.eval();
    }

    @Override
    public String name() {
        return "ours";
    }

    @Override
    public Tensor run(Tensor input) {
        return model.forward(input);
    }
}
