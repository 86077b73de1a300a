/**
 * Layers and their composition, read like {@code torch.nn}: {@link dev.depthwise.nn.Module} (named children,
 * parameters and buffers, state dicts with PyTorch's keys, {@code print(model)}), one thin class per layer over
 * the engine ops ({@link dev.depthwise.nn.Conv2d}, {@link dev.depthwise.nn.BatchNorm2d}, ...), and
 * {@link dev.depthwise.nn.Summary}, a torchinfo-like table. Each module implements its own backward: there is
 * no autograd tape, so a training step is {@code forward}, loss gradient, {@code backward}, optimiser step.
 */
package dev.depthwise.nn;
