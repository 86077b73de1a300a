package dev.depthwise.cli;

import ai.onnx.proto.OnnxMl;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import dev.depthwise.train.Adam;
import dev.depthwise.train.Checkpoint;
import dev.depthwise.train.CheckpointInfo;
import dev.depthwise.train.RunConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command's own job: resolve the source, write a well-formed ONNX file (ONNX Runtime runs are in depthwise-bench). */
class ExportCommandTest {
    @TempDir
    Path tmp;

    @Test
    void exportsAModelByName() throws Exception {
        Path out = tmp.resolve("segnet_dsc.onnx");
        assertEquals(0, Main.commandLine().execute("export", "segnet_dsc", out.toString(), "--input", "3,32,48"));
        OnnxMl.ModelProto model = read(out);
        assertEquals(13, model.getOpsetImport(0).getVersion());
        OnnxMl.TensorShapeProto input = model.getGraph().getInput(0).getType().getTensorType().getShape();
        assertEquals("batch", input.getDim(0).getDimParam());
        assertEquals(List.of(3L, 32L, 48L), input.getDimList().subList(1, 4).stream()
                .map(OnnxMl.TensorShapeProto.Dimension::getDimValue).toList());
        assertEquals(4, count(model, "MaxUnpool"));
        assertTrue(model.getGraph().getInitializerList().stream().anyMatch(t -> t.getName().equals("dc1.seq.0.depthwise.weight")));
    }

    @Test
    void exportsACheckpointAtItsImageSize() throws Exception {
        ModelSpec spec = ModelSpec.of(Models.SEGNET_DSC).withSeed(3);
        RunConfig config = RunConfig.article(spec.toMap(), Path.of("data"), 3);
        Module model = Models.create(spec);
        Path checkpoint = tmp.resolve("ckpt.safetensors");
        Checkpoint.save(checkpoint, model, new Adam(model.namedParameters(), 1e-3),
                new CheckpointInfo(CheckpointInfo.FORMAT, config, 0, 0, List.of()));
        Path out = tmp.resolve("ckpt.onnx");
        assertEquals(0, Main.commandLine().execute("export", checkpoint.toString(), out.toString()));
        OnnxMl.TensorShapeProto input = read(out).getGraph().getInput(0).getType().getTensorType().getShape();
        assertEquals(config.imageSize(), input.getDim(2).getDimValue());
    }

    @Test
    void anUnknownSourceIsOneClearLine() {
        CliRun run = CliRun.of("export", "resnet50", tmp.resolve("x.onnx").toString());
        assertEquals(1, run.exit());
        assertTrue(run.err().contains("neither a checkpoint file nor a model name"), run.err());
    }

    @Test
    void anInputTheModelCannotTakeIsRefusedAndNoFileIsWritten() {
        // Each once gave a file that only failed inside ONNX Runtime: too small for four pools, not a multiple
        // of 32 for the MobileNetV2 encoder, four channels into a three-channel model.
        String[][] cases = {{"segnet_dsc", "3,7,7"}, {"mobilenet_v2_seg", "3,100,100"}, {"segnet_dsc", "4,32,32"}};
        for (String[] c : cases) {
            Path out = tmp.resolve(c[0] + ".onnx");
            String err = CliErrorsTest.failing("export", c[0], out.toString(), "--input", c[1]);
            assertTrue(err.contains("does not take input [batch, " + c[1].replace(",", ", ") + "]"), err);
            assertTrue(!Files.exists(out), out + " written");
        }
    }

    private static OnnxMl.ModelProto read(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return OnnxMl.ModelProto.parseFrom(in);
        }
    }

    private static long count(OnnxMl.ModelProto model, String opType) {
        return model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(opType)).count();
    }
}
