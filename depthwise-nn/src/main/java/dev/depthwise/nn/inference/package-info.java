/**
 * Inference: an eval-mode model compiled once per input shape into a flat plan of fused steps over planned
 * buffers ({@link dev.depthwise.nn.inference.InferenceModel}); {@link dev.depthwise.nn.inference.Predictor} keeps
 * one plan per input shape for callers that see a few shapes (segmenting, evaluating, classifying). Inside a plan,
 * MobileNetV2's features (and, on request, SegNet and SegNet-DSC) run in the channel-blocked layout of
 * {@link dev.depthwise.engine.op.ChannelBlocks}, where each depthwise conv and the pointwise conv reading it are one
 * step ({@link dev.depthwise.engine.op.BlockedSeparableConv}); inputs and outputs are always NCHW. Buffers are
 * lent across sizes: MobileNetV2 at 224, batch 1, plans 9.0 MB of activations (19.2 MB when only equal sizes
 * shared).
 *
 * <p>This package sits above {@code dev.depthwise.models}: it lowers the known models from their forward passes
 * (residuals, pool indices, skips), and the models know nothing about it.
 */
package dev.depthwise.nn.inference;
