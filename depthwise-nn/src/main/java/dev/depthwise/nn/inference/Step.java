package dev.depthwise.nn.inference;

/** One executable step of a compiled plan, bound to its tensors once; running it allocates nothing. */
@FunctionalInterface
interface Step {
    void run();
}
