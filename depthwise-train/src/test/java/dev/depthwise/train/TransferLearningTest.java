package dev.depthwise.train;

import dev.depthwise.data.SyntheticPets;
import dev.depthwise.engine.Tensor;
import dev.depthwise.io.SafeTensors;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --encoder-weights} with {@code --freeze-encoder-epochs} and {@code --init}: which weights a run starts
 * from and which it leaves alone, and a bad {@code --init} file refused before the dataset is scanned. That the loaded encoder computes torchvision's features is proven against
 * torchvision in {@code MobileNetV2GoldenTest}.
 */
class TransferLearningTest {
    @TempDir
    Path root;

    private RunConfig config(String model, Path data, int epochs, double lr, TransferConfig transfer) {
        return new RunConfig(ModelSpec.of(model).withSeed(1).toMap(), data.toString(), epochs, 4, 32, "adam", lr, null,
                0.9, false, "none", 7, 0.7, "ce", 0, DatasetConfig.DETECT, transfer, RunConfig.ARTICLE, null);
    }

    @Test
    void aFrozenEncoderKeepsTheImageNetWeightsWhileTheDecoderLearns() throws Exception {
        Path data = root.resolve("data");
        SyntheticPets.generate(data, 8, 32, 1, 3);
        // Stands in for torchvision's mobilenet_v2-b0353104.pth: a MobileNetV2 state dict from another seed.
        Module imagenet = Models.create(ModelSpec.of(Models.MOBILENET_V2).withSeed(42));
        Path weights = root.resolve("mobilenet_v2.safetensors");
        SafeTensors.write(weights, imagenet.stateDict(), Map.of());

        // A bad file is refused before the dataset is opened: here the data folder does not even exist.
        Path garbage = Files.writeString(root.resolve("garbage.pth"), "not weights");
        Path segnet = root.resolve("segnet.safetensors");
        SafeTensors.write(segnet, Models.create(ModelSpec.of(Models.SEGNET_DSC)).stateDict(), Map.of());
        for (Path bad : List.of(garbage, segnet)) {
            Exception e = assertThrows(Exception.class, () -> new Trainer(config(Models.MOBILENET_V2_SEG,
                    root.resolve("nowhere"), 1, 1e-2, new TransferConfig(bad.toString(), 1, null)), root.resolve("bad"),
                    Progress.silent(), 1).run(Trainer.Start.NEW));
            assertTrue(e.getMessage().startsWith(bad.toString()) && !e.getMessage().contains("nowhere"),
                    e.getMessage());
            assertFalse(Files.exists(root.resolve("bad")), bad + " created the run directory");
        }

        Trainer.Result r = new Trainer(config(Models.MOBILENET_V2_SEG, data, 1, 1e-2,
                new TransferConfig(weights.toString(), 1, null)), root.resolve("run"), Progress.silent(), 1).run(Trainer.Start.NEW);
        Map<String, Tensor> trained = Checkpoint.read(r.lastCheckpoint()).weights();
        Map<String, Tensor> source = imagenet.stateDict();
        for (String key : List.of("features.0.0.weight", "features.3.conv.1.0.weight", "features.17.conv.2.weight",
                "features.17.conv.3.weight", "features.17.conv.3.bias")) {
            assertArrayEquals(source.get(key).data(), trained.get(key).data(), key);
        }
        Module fresh = Models.create(ModelSpec.of(Models.MOBILENET_V2_SEG).withClasses(3).withSeed(1));
        String head = "head.2.weight";
        assertFalse(java.util.Arrays.equals(fresh.stateDict().get(head).data(), trained.get(head).data()),
                "the head learned");
    }

    @Test
    void initStartsFromACheckpointAndReinitialisesAHeadOfAnotherClassCount() throws Exception {
        Path three = root.resolve("three");
        Path four = root.resolve("four");
        SyntheticPets.generate(three, 8, 32, 1, 3);
        SyntheticPets.generate(four, 8, 32, 2, 4);
        Path source = new Trainer(config(Models.SEGNET_DSC, three, 1, 1e-3, TransferConfig.NONE), root.resolve("a"),
                Progress.silent(), 1).run(Trainer.Start.NEW).lastCheckpoint();
        Map<String, Tensor> from = Checkpoint.read(source).weights();

        // lr 0: the weights stay where they started, so the start can be read from the checkpoint.
        ByteArrayOutputStream messages = new ByteArrayOutputStream();
        Path started = new Trainer(config(Models.SEGNET_DSC, four, 1, 0, new TransferConfig(null, 0, source.toString())),
                root.resolve("b"), new Progress(new PrintStream(messages, true), false), 1).run(Trainer.Start.NEW).lastCheckpoint();
        Map<String, Tensor> after = Checkpoint.read(started).weights();
        assertArrayEquals(from.get("dc1.seq.0.depthwise.weight").data(), after.get("dc1.seq.0.depthwise.weight").data());
        assertArrayEquals(new int[] {4}, after.entrySet().stream().filter(e -> e.getKey().endsWith("bias")
                && e.getValue().size() == 4).findFirst().orElseThrow().getValue().shape());
        assertTrue(messages.toString().contains("its 3 classes are not the data's 4"), messages.toString());

        IllegalArgumentException wrongModel = assertThrows(IllegalArgumentException.class, () -> new Trainer(
                config(Models.SEGNET, three, 1, 0, new TransferConfig(null, 0, source.toString())), root.resolve("c"),
                Progress.silent(), 1).run(Trainer.Start.NEW));
        assertTrue(wrongModel.getMessage().contains("holds a segnet_dsc, not a segnet"), wrongModel.getMessage());

        // A bad --init is refused before the dataset is opened: here the data folder does not even exist.
        Path nowhere = root.resolve("nowhere");
        Path garbage = Files.writeString(root.resolve("garbage.safetensors"), "not a checkpoint");
        SafeTensors.Contents stored = SafeTensors.read(source);
        Map<String, Tensor> reshaped = new LinkedHashMap<>(stored.tensors());
        String key = "dc1.seq.0.depthwise.weight";
        reshaped.put(key, new Tensor(stored.tensors().get(key).data().clone(), stored.tensors().get(key).size()));
        Path misfit = root.resolve("misfit.safetensors");
        SafeTensors.write(misfit, reshaped, stored.metadata());
        String[][] cases = {
                {Models.SEGNET_DSC, root.resolve("absent.safetensors").toString(), "absent.safetensors does not exist"},
                {Models.SEGNET_DSC, garbage.toString(), garbage.toString()},
                {Models.SEGNET, source.toString(), "holds a segnet_dsc, not a segnet"},
                {Models.SEGNET_DSC, misfit.toString(), misfit + ": its weights do not fit the segnet_dsc asked for (width"
                        + " 1.0): Error(s) in loading state dict for SegNetDSC: Size mismatch (1): " + key
                        + ": checkpoint [27], model [3, 1, 3, 3]"}};
        for (String[] c : cases) {
            Exception e = assertThrows(Exception.class, () -> new Trainer(config(c[0], nowhere, 1, 0,
                    new TransferConfig(null, 0, c[1])), root.resolve("d"), Progress.silent(), 1).run(Trainer.Start.NEW));
            assertTrue(e.getMessage().contains(c[2]) && !e.getMessage().contains("nowhere"), c[1] + ": " + e.getMessage());
            assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
            assertFalse(Files.exists(root.resolve("d")), c[1] + " created the run directory");
        }
        IllegalArgumentException notMobileNet = assertThrows(IllegalArgumentException.class,
                () -> config(Models.SEGNET_DSC, three, 1, 0, new TransferConfig(source.toString(), 0, null)));
        assertTrue(notMobileNet.getMessage().contains("train --model mobilenet_v2_seg"), notMobileNet.getMessage());
    }
}
