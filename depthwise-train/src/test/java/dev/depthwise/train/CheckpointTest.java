package dev.depthwise.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.depthwise.io.AtomicFiles;
import dev.depthwise.engine.Tensor;
import dev.depthwise.io.SafeTensors;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {
    @TempDir
    Path dir;

    private static RunConfig config() {
        return RunConfig.article(ModelSpec.of(Models.SEGNET_DSC).withSeed(3).toMap(), Path.of("data"), 3);
    }

    private static EpochRecord record(int epoch) {
        return new EpochRecord(epoch, 1e-3, 0.5, 0.6, Map.of("pixel_accuracy", 0.9, "iou", 0.7),
                new long[][] {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, 12.5, 30.0);
    }

    @Test
    void roundTripKeepsWeightsOptimizerStateAndMetadata() throws IOException {
        Module model = Models.create(ModelSpec.fromMap(config().model()));
        Optimizer adam = new Adam(model.namedParameters(), 1e-3);
        model.namedParameters().values().forEach(p -> p.grad().fill(0.01f));
        adam.step();
        CheckpointInfo info = new CheckpointInfo(CheckpointInfo.FORMAT, config(), 1, adam.steps(), List.of(record(1)));
        Path file = dir.resolve("last.safetensors");
        Checkpoint.save(file, model, adam, info);

        Checkpoint.Contents back = Checkpoint.read(file);
        assertEquals(info.config(), back.info().config());
        assertEquals(1, back.info().epoch());
        assertEquals(1, back.info().optimizerSteps());
        assertArrayEquals(info.history().get(0).confusion()[2], back.info().history().get(0).confusion()[2]);
        Module restored = back.model();
        model.stateDict().forEach((k, t) -> assertArrayEquals(t.data(), restored.stateDict().get(k).data(), k));
        Optimizer again = new Adam(restored.namedParameters(), 1e-3);
        again.loadState(back.optimizerState(), back.info().optimizerSteps());
        adam.state().forEach((k, t) -> assertArrayEquals(t.data(), again.state().get(k).data(), k));
    }

    @Test
    void aCheckpointWithNonFiniteWeightsSaysHowMany() throws IOException {
        Module model = Models.create(ModelSpec.fromMap(config().model()));
        Map<String, dev.depthwise.engine.Tensor> state = model.stateDict();
        float[] first = state.values().iterator().next().data();
        first[0] = Float.NaN;
        first[1] = Float.POSITIVE_INFINITY;
        first[2] = Float.NEGATIVE_INFINITY;
        Path file = dir.resolve("diverged.safetensors");
        Checkpoint.save(file, model, null, new CheckpointInfo(CheckpointInfo.FORMAT, config(), 1, 0, List.of()));
        long total = state.values().stream().mapToLong(t -> t.data().length).sum();
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(file));
        assertEquals(file + ": 3 of " + total + " weights are NaN or infinite (the first in "
                + state.keySet().iterator().next() + "); the run that wrote it diverged, or the file is corrupt",
                e.getMessage());
    }

    @Test
    void weightsThatDoNotFitTheDeclaredModelNameTheFile() throws IOException {
        // A SegNet-DSC's weights in a checkpoint whose metadata says SegNet: the key lists alone name no file.
        Module model = Models.create(ModelSpec.fromMap(config().model()));
        RunConfig segnet = RunConfig.article(ModelSpec.of(Models.SEGNET).toMap(), Path.of("data"), 3);
        Path file = dir.resolve("liar.safetensors");
        Checkpoint.save(file, model, null, new CheckpointInfo(CheckpointInfo.FORMAT, segnet, 1, 0, List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file).model());
        assertTrue(e.getMessage().startsWith(file + ": the weights do not fit the checkpoint's model 'segnet': "),
                e.getMessage());
        assertTrue(e.getMessage().contains("dc1.seq.0.weight"), e.getMessage());
    }

    @Test
    void theFileIsPlainSafetensorsWithTheJsonBesideIt() throws IOException {
        Module model = Models.create(ModelSpec.fromMap(config().model()));
        Path file = dir.resolve("best.safetensors");
        Checkpoint.save(file, model, new Adam(model.namedParameters(), 1e-3),
                new CheckpointInfo(CheckpointInfo.FORMAT, config(), 0, 0, List.of()));
        SafeTensors.Contents raw = SafeTensors.read(file);
        // Model weights under their PyTorch keys; optimiser state under optimizer.SLOT.KEY.
        assertEquals(model.stateDict().keySet(), raw.tensors().keySet().stream()
                .filter(k -> !k.startsWith("optimizer.")).collect(java.util.stream.Collectors.toSet()));
        String firstWeight = model.namedParameters().keySet().iterator().next();
        assertTrue(raw.tensors().containsKey(firstWeight));
        assertTrue(raw.tensors().containsKey("optimizer.exp_avg." + firstWeight));
        assertEquals("pt", raw.metadata().get("format"));
        JsonNode sidecar = Checkpoint.JSON.readTree(Files.readString(dir.resolve("best.json")));
        assertEquals("segnet_dsc", sidecar.at("/config/model/name").asText());
        assertEquals(raw.metadata().get(Checkpoint.METADATA_KEY), Files.readString(dir.resolve("best.json")));
    }

    @Test
    void aWriteThatDiesHalfwayLeavesTheOldFileIntactAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("last.json");
        AtomicFiles.write(file, "old".getBytes(StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> AtomicFiles.write(file, out -> {
            out.write("half of the new cont".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(file));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void aSafetensorsFileWithoutOurMetadataIsNotACheckpoint() throws IOException {
        Path file = dir.resolve("weights.safetensors");
        SafeTensors.write(file, Map.of("w", Tensor.zeros(2)), Map.of());
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(file));
        assertTrue(e.getMessage().contains("not a depthwise checkpoint"), e.getMessage());
    }

    @Test
    void sidecarReplacesTheExtension() {
        assertEquals(Path.of("runs/x/last.json"), Checkpoint.sidecar(Path.of("runs/x/last.safetensors")));
    }
}
