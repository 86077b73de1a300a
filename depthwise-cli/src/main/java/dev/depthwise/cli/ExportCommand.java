package dev.depthwise.cli;

import dev.depthwise.io.onnx.OnnxExporter;
import dev.depthwise.io.onnx.OnnxGraph;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import dev.depthwise.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code depthwise export CHECKPOINT-or-MODEL OUT.onnx [--input C,H,W]}: the model as an ONNX file. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a checkpoint, or a freshly initialised model by name, to ONNX (opset "
                + OnnxGraph.OPSET + "): eval mode, symbolic batch dimension, weights named by their state-dict keys.")
public final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CHECKPOINT-or-MODEL",
            description = "a .safetensors checkpoint written by train, or a model name: mobilenet_v2, segnet, "
                    + "segnet_dsc, mobilenet_v2_seg")
    String source;

    @Parameters(index = "1", paramLabel = "OUT.onnx", description = "the ONNX file to write")
    Path out;

    @Option(names = "--input", paramLabel = "C,H,W", split = ",",
            description = "input channels, height and width (default: the checkpoint's image size; "
                    + "3,224,224 for mobilenet_v2; else 3,128,128)")
    int[] input;

    @Override
    public Integer call() throws Exception {
        Module model;
        String name;
        int size;
        if (Models.NAMES.contains(source)) {
            model = Models.create(source);
            name = source;
            size = source.equals(Models.MOBILENET_V2) ? 224 : 128;
        } else if (Files.isRegularFile(Path.of(source))) {
            Checkpoint.Contents checkpoint = Checkpoint.read(Path.of(source));
            model = checkpoint.model();
            name = checkpoint.info().config().model().get("name");
            size = checkpoint.info().config().imageSize();
        } else {
            throw new IllegalArgumentException("'" + source + "' is neither a checkpoint file nor a model name ("
                    + String.join(", ", Models.NAMES) + ")");
        }
        int[] chw = input != null ? input : new int[] {3, size, size};
        if (chw.length != 3 || chw[0] < 1 || chw[1] < 1 || chw[2] < 1) {
            throw new IllegalArgumentException("--input must be three positive numbers C,H,W");
        }
        OnnxExporter.write(model, name, chw[0], chw[1], chw[2], out);
        System.out.printf("wrote %s: %s, input [batch, %d, %d, %d], opset %d%n", out, name, chw[0], chw[1], chw[2],
                OnnxGraph.OPSET);
        return 0;
    }
}
