package dev.depthwise.nn;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * An input a layer cannot take, thrown from deep inside a model, with the layer's path in the model
 * ({@code dc3.seq.0}, as the state-dict keys name it) put in front of the op's own message. Ops only know
 * shapes; which of a model's many identical convs or pools failed is known only on the way out, so each
 * enclosing module adds its child's name as the exception passes through {@link Module#forward}.
 */
public final class LayerInputException extends IllegalArgumentException {
    private final Deque<String> path = new ArrayDeque<>();
    private final String layerType;
    private transient Module current;

    LayerInputException(Module layer, IllegalArgumentException cause) {
        super(cause.getMessage(), cause);
        this.layerType = layer.typeName();
        this.current = layer;
    }

    /** Records that the failing module sits inside {@code parent}; returns this exception. */
    LayerInputException within(Module parent) {
        for (Map.Entry<String, Module> child : parent.children().entrySet()) {
            if (child.getValue() == current) {
                path.addFirst(child.getKey());
                break;
            }
        }
        current = parent;
        return this;
    }

    /** The dotted path of the failing layer from the outermost module that ran it; empty for that module itself. */
    public String layerPath() {
        return String.join(".", path);
    }

    @Override
    public String getMessage() {
        String op = getCause().getMessage();
        return path.isEmpty() ? op : "layer " + layerPath() + " (" + layerType + "): " + op;
    }
}
