/**
 * The compute engine: {@link dev.depthwise.engine.Tensor}, the thread pool {@link dev.depthwise.engine.Parallel},
 * and the ops in {@code dev.depthwise.engine.op}, one file per op with its forward, its backward and its fast paths.
 * The engine knows nothing about models, files or images.
 *
 * <h2>Memory layout</h2>
 * Activations are NCHW, as in PyTorch. See the measurements recorded below (filled in by the layout benchmark).
 */
package dev.depthwise.engine;
