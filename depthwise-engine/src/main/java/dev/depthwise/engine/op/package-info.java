/**
 * The ops: one class per op, static methods, each with its forward, its backward and its fast paths.
 *
 * <h2>Conventions every op follows</h2>
 * <ul>
 *   <li>Outputs are written into tensors the caller provides, so buffers are planned once and reused;
 *       no op allocates per element.</li>
 *   <li>Input gradients ({@code gradX}) are overwritten; parameter gradients ({@code gradW}, {@code gradB},
 *       {@code gradGamma}, {@code gradBeta}) are accumulated, so a parameter used twice sums its gradients.</li>
 *   <li>An argument documented as nullable may be null to skip that output.</li>
 *   <li>Semantics are PyTorch's (checked by the golden tests in depthwise-nn against torch 1.13): the tie and
 *       NaN rules of max-pooling, the float source-index formulas of {@code F.interpolate}, the weighted mean
 *       and ignore index of {@code F.cross_entropy}, BatchNorm's unbiased running variance.</li>
 *   <li>Bad arguments throw {@link java.lang.IllegalArgumentException} naming the op and the shapes, before
 *       any kernel runs (indices are checked as they are used): never an ArrayIndexOutOfBoundsException.</li>
 *   <li>Work is split with {@link dev.depthwise.engine.Parallel#forRange} over an axis whose items never share
 *       an output (channels, planes, pixel blocks), and reductions are added in a fixed order, so results do
 *       not depend on the thread count.</li>
 * </ul>
 */
package dev.depthwise.engine.op;
