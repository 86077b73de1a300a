/**
 * Inference: an eval-mode model compiled once per input shape into a flat plan of fused steps over planned
 * buffers ({@link dev.depthwise.nn.inference.InferenceModel}, options in
 * {@link dev.depthwise.nn.inference.CompileOptions}); {@link dev.depthwise.nn.inference.Predictor} keeps one plan per
 * input shape for callers that see a few shapes (segmenting, evaluating, classifying).
 *
 * <p>Every module lowers itself ({@link dev.depthwise.nn.Module#lower}) into the nodes of a graph through
 * {@link dev.depthwise.nn.Lowering}; the compiler names no model and runs generic passes over the nodes: BatchNorm
 * folding, activation and residual-add fusion, the channel-blocked layout of
 * {@link dev.depthwise.engine.op.ChannelBlocks} wherever a blocked kernel exists (inputs and outputs stay NCHW), each
 * blocked depthwise conv joined to the pointwise conv reading it
 * ({@link dev.depthwise.engine.op.BlockedSeparableConv}), dense 3x3 convs run as Winograd convs where the engine's
 * cost model picks them ({@link dev.depthwise.engine.op.BlockedWinogradConv}), and buffers lent across sizes: MobileNetV2 at 224, batch 1,
 * plans 9.0 MB of activations (19.2 MB when only equal sizes shared).
 */
package dev.depthwise.nn.inference;
