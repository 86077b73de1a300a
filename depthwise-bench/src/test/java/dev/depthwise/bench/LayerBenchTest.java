package dev.depthwise.bench;

import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depthwise.engine.Tensor;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.inference.InferenceModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench models --per-layer}: reading ONNX Runtime's trace, and giving each of its nodes to the right step. */
class LayerBenchTest {
    private static InferenceModel.StepInfo step(String path, String... modules) {
        return new InferenceModel.StepInfo(path, "op", "[1]", List.of(modules));
    }

    private static OrtTrace.Node node(String name) {
        return new OrtTrace.Node(name, "Conv", 10);
    }

    @Test
    void aNodeGoesToTheStepOfTheLongestModulePathItIsNamedAfter() {
        List<InferenceModel.StepInfo> steps = List.of(
                step("features.2.conv.0", "features.2.conv.0.0", "features.2.conv.0.1", "features.2.conv.0.2"),
                step("features.2.conv", "features.2.conv.1.0", "features.2.conv.1.1", "features.2.conv.1.2",
                        "features.2.conv.2", "features.2.conv.3"),
                step("(model)"));
        assertEquals(0, LayerBench.stepOf(steps, "features.2.conv.0.2_nchwc"));
        assertEquals(1, LayerBench.stepOf(steps, "features.2.conv.1.2_nchwc"));
        assertEquals(1, LayerBench.stepOf(steps, "features.2.conv.3"));
        assertEquals(-1, LayerBench.stepOf(steps, "features.2.conv.30"), "a longer number is another module");
        assertEquals(-1, LayerBench.stepOf(steps, "ReorderOutput"));
    }

    @Test
    void nodesOfNoStepGetRowsAfterTheStepOfTheNodeBeforeThem() {
        List<InferenceModel.StepInfo> steps = List.of(step("a", "a"), step("b", "b"), step("c", "c"),
                step("(model)"));
        List<LayerBench.Row> rows = LayerBench.match(steps,
                List.of(node("ReorderInput"), node("a"), node("b.0_nchwc"), node("b.1"), node("ReorderOutput"),
                        node("c"), node("output_nchwc"), node("ReorderOutput_token_9")));
        List<String> labels = rows.stream().map(LayerBench.Row::label).toList();
        assertEquals(List.of("(ORT) ReorderInput", "a", "b", "(ORT) ReorderOutput", "c", "(ORT) ReorderOutput_token_9",
                "(model)"), labels);
        assertEquals(List.of("b.0_nchwc", "b.1"), rows.get(2).ortNodes());
        assertEquals("Conv+Conv", rows.get(2).ortOps());
        // ONNX Runtime names the model's last conv after the exporter's output Identity, which it removed
        assertEquals(List.of("c", "output_nchwc"), rows.get(4).ortNodes());
    }

    @Test
    void theTraceGivesMediansOverTheTimedRunsOnly() throws Exception {
        // Three runs (the first untimed): node events inside a run's span belong to it.
        String json = """
                [{"cat":"Session","name":"model_run","ts":100,"dur":50},
                 {"cat":"Node","name":"conv_kernel_time","ts":110,"dur":40,"args":{"op_name":"Conv"}},
                 {"cat":"Session","name":"model_run","ts":200,"dur":50},
                 {"cat":"Node","name":"conv_kernel_time","ts":210,"dur":20,"args":{"op_name":"Conv"}},
                 {"cat":"Node","name":"pool_kernel_time","ts":235,"dur":3,"args":{"op_name":"MaxPool"}},
                 {"cat":"Session","name":"model_run","ts":300,"dur":30},
                 {"cat":"Node","name":"conv_kernel_time","ts":305,"dur":22,"args":{"op_name":"Conv"}},
                 {"cat":"Node","name":"pool_kernel_time","ts":328,"dur":5,"args":{"op_name":"MaxPool"}},
                 {"cat":"Node","name":"late_kernel_time","ts":400,"dur":9,"args":{"op_name":"Relu"}}]
                """;
        OrtTrace trace = OrtTrace.of(new ObjectMapper().readTree(json), List.of(false, true, true), "test");
        assertEquals(List.of(new OrtTrace.Node("conv", "Conv", 21), new OrtTrace.Node("pool", "MaxPool", 4)),
                trace.nodes());
        assertEquals(40, trace.runMicros());
        assertThrows(IllegalStateException.class, () -> OrtTrace.of(new ObjectMapper().readTree(json),
                Collections.nCopies(4, true), "test"));
    }

    /**
     * On the real exports, every conv node of ONNX Runtime's optimised graph belongs to a step of ours and every conv
     * step of ours gets one: the module names match through ONNX Runtime's fusions and our own.
     */
    @Test
    void everyConvOfOrtsGraphMatchesAConvStepOfOurPlan(@TempDir Path dir) throws Exception {
        for (String name : List.of("mobilenet_v2", "segnet_dsc")) {
            Module model = ModelBench.calibratedModel(name, 32);
            Tensor input = BenchTensors.randomInput(1, 3, 32, 32);
            List<InferenceModel.StepInfo> steps = InferenceModel.compile(model, 1, 3, 32, 32).steps();
            List<Boolean> timed = new ArrayList<>();
            OrtTrace trace;
            try (OrtRunner ort = new OrtRunner(ModelBench.export(model, name, 32), 1,
                    OrtSession.SessionOptions.OptLevel.ALL_OPT, dir.resolve(name))) {
                for (int i = 0; i < 3; i++) {
                    ort.infer(input);
                    timed.add(true);
                }
                trace = OrtTrace.read(ort.endProfiling(), timed);
            }
            List<LayerBench.Row> rows = LayerBench.match(steps, trace.nodes());
            for (LayerBench.Row row : rows) {
                boolean oursConv = row.step() >= 0 && (row.op().contains("conv") || row.op().contains("depthwise"));
                boolean ortConv = row.ortOps().contains("Conv");
                assertTrue(row.step() >= 0 || !ortConv, name + ": ORT's " + row.ortNodes() + " matched no step");
                assertEquals(oursConv, ortConv, name + ": " + row);
                assertTrue(row.step() >= 0 || !row.ortOps().contains("GlobalAveragePool"),
                        name + ": ORT's " + row.ortNodes() + " matched no step");
            }
        }
    }
}
