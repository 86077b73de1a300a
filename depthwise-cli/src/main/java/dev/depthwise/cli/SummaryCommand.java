package dev.depthwise.cli;

import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.DepthwiseSeparableConv2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.Summary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code depthwise summary}: a torchinfo-like table of a model, or its PyTorch-style module tree. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Layers, output shapes, parameters and multiply-adds of a model (like torchinfo), "
                + "or with --tree the module tree as PyTorch's print(model). MODEL 'conv' or 'dsconv' "
                + "summarises one regular or depthwise-separable conv layer (the article's primer: "
                + "summary conv --in 16 --out 32 --input 16,128,128).")
final class SummaryCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL",
            description = "mobilenet_v2, segnet, segnet_dsc, mobilenet_v2_seg, or conv / dsconv for one layer.")
    String model;

    @Option(names = "--input", paramLabel = "C,H,W", split = ",",
            description = "Input size (default 3,224,224 for mobilenet_v2, 3,128,128 for the segmenters, "
                    + "IN,128,128 for conv/dsconv).")
    int[] input;

    @Option(names = "--tree", description = "Print the module tree as PyTorch's print(model) instead.")
    boolean tree;

    @Option(names = "--width", description = "MobileNetV2 width multiplier (default 1.0).")
    Double width;

    @Option(names = "--classes", description = "Output classes (default 1000 for mobilenet_v2, 3 otherwise).")
    Integer classes;

    @Option(names = "--plain-head", description = "SegNet: a plain conv classifier instead of conv-BN-ReLU.")
    boolean plainHead;

    @Option(names = "--in", defaultValue = "16", description = "conv/dsconv: input channels (default ${DEFAULT-VALUE}).")
    int inChannels;

    @Option(names = "--out", defaultValue = "32", description = "conv/dsconv: output channels (default ${DEFAULT-VALUE}).")
    int outChannels;

    @Option(names = "--kernel", defaultValue = "3", description = "conv/dsconv: kernel size (default ${DEFAULT-VALUE}).")
    int kernel;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Module m = build();
        PrintWriter out = spec.commandLine().getOut();
        if (tree) {
            out.println(m);
        } else {
            int[] shape = inputShape();
            try {
                Models.checkInput(m, shape[0], shape[1], shape[2]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--input " + shape[0] + "," + shape[1] + "," + shape[2] + ": "
                        + e.getMessage(), e);
            }
            out.print(Summary.of(m, shape));
        }
        out.flush();
        return 0;
    }

    private Module build() {
        switch (model) {
            case "conv":
                return new Conv2d(inChannels, outChannels, kernel, 1, kernel / 2, 1, false);
            case "dsconv":
                return new DepthwiseSeparableConv2d(inChannels, outChannels, kernel, 1, kernel / 2);
            default:
                ModelSpec s = ModelSpec.of(model).withPlainHead(plainHead);
                if (width != null) {
                    s = s.withWidth(width);
                }
                if (classes != null) {
                    s = s.withClasses(classes);
                }
                return Models.create(s);
        }
    }

    private int[] inputShape() {
        if (input != null) {
            if (input.length != 3) {
                throw new IllegalArgumentException("--input must be C,H,W, for example 3,224,224");
            }
            return input;
        }
        return switch (model) {
            case "conv", "dsconv" -> new int[] {inChannels, 128, 128};
            case Models.MOBILENET_V2 -> new int[] {3, 224, 224};
            default -> new int[] {3, 128, 128};
        };
    }
}
