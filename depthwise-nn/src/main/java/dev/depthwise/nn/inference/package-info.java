/**
 * Inference: an eval-mode model compiled once per input shape into a flat plan of fused steps over planned
 * buffers ({@link dev.depthwise.nn.inference.InferenceModel}).
 *
 * <p>This package sits above {@code dev.depthwise.models}: it lowers the known models from their forward passes
 * (residuals, pool indices, skips), and the models know nothing about it.
 */
package dev.depthwise.nn.inference;
