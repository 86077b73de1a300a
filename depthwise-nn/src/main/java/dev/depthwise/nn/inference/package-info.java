/**
 * Inference: an eval-mode model compiled once per input shape into a flat plan of fused steps over planned
 * buffers ({@link dev.depthwise.nn.inference.InferenceModel}); {@link dev.depthwise.nn.inference.Predictor} keeps
 * one plan per input shape for callers that see a few shapes (segmenting, evaluating, classifying). Inside a plan,
 * MobileNetV2's features (and, on request, SegNet and SegNet-DSC) run in the channel-blocked layout of
 * {@link dev.depthwise.engine.op.ChannelBlocks}; inputs and outputs are always NCHW.
 *
 * <p>This package sits above {@code dev.depthwise.models}: it lowers the known models from their forward passes
 * (residuals, pool indices, skips), and the models know nothing about it.
 */
package dev.depthwise.nn.inference;
