package dev.depthwise.nn.inference;

/** A layer the inference compiler has no lowering for: the model can still run through {@code Module.forward}. */
final class NoLoweringException extends IllegalArgumentException {
    NoLoweringException(String message) {
        super(message);
    }
}
