/**
 * The compute engine: {@link dev.depthwise.engine.Tensor}, the thread pool {@link dev.depthwise.engine.Parallel},
 * and the ops in {@code dev.depthwise.engine.op}, one file per op with its forward, its backward and its fast paths.
 * The engine knows nothing about models, files or images.
 *
 * <h2>Memory layout: NCHW</h2>
 * Activations are NCHW (batch, channel, row, column), as in PyTorch, so OIHW weights and golden tensors from
 * PyTorch are used as they are, and a pointwise conv on one image is the plain GEMM {@code W[Cout×Cin]·X[Cin×HW]}.
 *
 * <p>Measured before choosing (forward pass, batch 1, median of 15 runs after warm-up; NCHW = the engine's
 * kernels; NHWC = the same GEMM with the matrices the other way round, {@code X[HW×Cin]·W^T}, and a 3×3
 * depthwise kernel vectorised across channels written for the comparison, both in
 * {@code dev.depthwise.bench.LayoutBench}). 26 Nov 2026, AMD EPYC (Zen 5, AVX-512, 16 floats per vector),
 * 2 cores shared with other jobs (load average about 8-10, so single figures vary by up to 30%), OpenJDK
 * 17.0.15, command
 * {@code java --add-modules jdk.incubator.vector -cp depthwise-bench/target/depthwise-bench.jar dev.depthwise.bench.LayoutBench}:
 *
 * <table>
 *   <caption>Forward time in ms, 1 thread (2 threads in brackets)</caption>
 *   <tr><th>conv (MobileNetV2 shapes)</th><th>NCHW</th><th>NHWC</th><th>NHWC / NCHW</th></tr>
 *   <tr><td>pointwise 56×56×24→144</td><td>0.111 (0.115)</td><td>0.154 (0.219)</td><td>1.39 (1.89)</td></tr>
 *   <tr><td>pointwise 14×14×96→576</td><td>0.130 (0.148)</td><td>0.109 (0.133)</td><td>0.84 (0.90)</td></tr>
 *   <tr><td>pointwise 7×7×320→1280</td><td>0.332 (0.349)</td><td>0.332 (0.418)</td><td>1.00 (1.20)</td></tr>
 *   <tr><td>depthwise 3×3 112×112×96 stride 2</td><td>0.415 (0.471)</td><td>0.179 (0.181)</td><td>0.43 (0.39)</td></tr>
 *   <tr><td>depthwise 3×3 56×56×144 stride 1</td><td>0.203 (0.209)</td><td>0.294 (0.350)</td><td>1.45 (1.68)</td></tr>
 *   <tr><td>depthwise 3×3 14×14×576 stride 1</td><td>0.111 (0.111)</td><td>0.137 (0.132)</td><td>1.23 (1.19)</td></tr>
 * </table>
 *
 * <p>Reading: pointwise convs run the same GEMM either way, within noise of each other. Stride-1 depthwise convs,
 * most of MobileNetV2's and all of SegNet-DSC's, are 1.2-1.5× faster in our NCHW kernel (one flat vector loop
 * per plane). Stride-2 depthwise is where NHWC wins clearly, 2.3-2.6× (the NCHW kernel computes the stride-1
 * row and drops every other value); those are 4 of MobileNetV2's 17 depthwise layers. An earlier run, before the
 * flat stride-1 loop, had NHWC ahead on stride-1 depthwise too (1.1× at 56×56, 1.7× at 14×14): the gap was the
 * kernel, not the layout. Nothing here pays for leaving PyTorch's layout (weight import, golden tests, every
 * op and the ONNX export written once for NCHW), so the engine stays NCHW. The 2-thread figures scale poorly
 * because the machine was shared at the time; see {@code docs/benchmarks/kernels.md} for kernel throughput.
 *
 * <h2>Planned inference: the channel-blocked layout</h2>
 * The measurements above compared NCHW with plain NHWC inside one op. Planned inference (no backward, the whole
 * pass compiled at once) goes further and uses {@link dev.depthwise.engine.op.ChannelBlocks}: NCHW with the
 * channels in blocks of one vector ({@code [N, C/16, H, W, 16]} with AVX-512), ONNX Runtime's NCHWc. A depthwise
 * conv is then full-width vector work at every stride and plane size, and a pointwise conv a register-tiled
 * kernel over pixels and channel blocks: MobileNetV2's stride-2 depthwise at 112×112 went from 16 to about 55
 * GFLOP/s and the whole planned MobileNetV2 at 224 about 1.5× faster than with NCHW kernels (measured in one
 * process, alternating; {@code docs/benchmarks/README.md}). Training, the public ops, weights and everything a
 * user sees stay NCHW; the plan reorders only where a layer without a blocked kernel reads a blocked value.
 */
package dev.depthwise.engine;
