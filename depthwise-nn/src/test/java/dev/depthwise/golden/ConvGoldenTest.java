package dev.depthwise.golden;

import dev.depthwise.engine.Parallel;
import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.ConvOp;
import dev.depthwise.engine.op.ConvSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ConvOp against torch.nn.functional.conv2d, through each fast path and the general one. */
class ConvGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"conv_1x1", "conv_3x3_s1_bias", "conv_3x3_s2", "conv_depthwise_s1", "conv_depthwise_s2",
            "conv_grouped", "conv_dilation2", "conv_rect_kernel", "conv_1x1_wide", "conv_3x3_wide",
            "conv_depthwise_s1_wide", "conv_depthwise_s2_wide"})
    void forwardAndBackwardMatchPyTorch(String name) {
        check(name);
    }

    /** The work split must not change results: one thread, and more threads than this machine's cores. */
    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void widePathsMatchPyTorchAtOtherThreadCounts(int threads) {
        int before = Parallel.threads();
        Parallel.setThreads(threads);
        try {
            for (String name : new String[] {"conv_1x1_wide", "conv_3x3_wide", "conv_depthwise_s1_wide",
                    "conv_depthwise_s2_wide"}) {
                check(name);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    private static void check(String name) {
        Golden g = Golden.load("ops/" + name);
        ConvSpec spec = new ConvSpec(g.intMeta("in_channels"), g.intMeta("out_channels"), g.intMeta("kernel_h"),
                g.intMeta("kernel_w"), g.intMeta("stride_h"), g.intMeta("stride_w"), g.intMeta("pad_h"),
                g.intMeta("pad_w"), g.intMeta("dilation_h"), g.intMeta("dilation_w"), g.intMeta("groups"));
        boolean hasBias = g.has("bias");
        Tensor x = g.tensor("x");
        Tensor weight = g.tensor("weight");
        Tensor bias = hasBias ? g.tensor("bias") : null;

        Tensor out = g.nanLike("out");
        ConvOp.forward(spec, x, weight, bias, out);
        g.assertClose("out", out);

        Tensor gradX = g.nanLike("grad_x");
        Tensor gradW = g.zerosLike("grad_weight");
        Tensor gradB = hasBias ? g.zerosLike("grad_bias") : null;
        ConvOp.backward(spec, x, weight, g.tensor("grad_out"), gradX, gradW, gradB);
        g.assertClose("grad_x", gradX);
        g.assertClose("grad_weight", gradW);
        if (hasBias) {
            g.assertClose("grad_bias", gradB);
        }

        // Input gradients are overwritten, parameter gradients accumulate.
        ConvOp.backward(spec, x, weight, g.tensor("grad_out"), gradX, gradW, gradB);
        g.assertClose("grad_x", gradX);
        Golden.assertClose(name + ".grad_weight accumulated twice", g.array("grad_weight"), gradW.data(), 2.0);
        if (hasBias) {
            Golden.assertClose(name + ".grad_bias accumulated twice", g.array("grad_bias"), gradB.data(), 2.0);
        }
    }
}
