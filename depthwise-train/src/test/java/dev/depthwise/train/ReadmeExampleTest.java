package dev.depthwise.train;

import dev.depthwise.data.Dataset;
import dev.depthwise.data.DatasetCheck;
import dev.depthwise.data.Datasets;
import dev.depthwise.data.ImageDecoder;
import dev.depthwise.data.SyntheticPets;
import dev.depthwise.engine.Tensor;
import dev.depthwise.io.SafeTensors;
import dev.depthwise.io.WeightFiles;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.inference.CompileOptions;
import dev.depthwise.nn.inference.InferenceModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the README's "Use it from Java" lines, on a tiny checkpoint, a tiny generated 3-class set and a small MobileNetV2, so the README stays true. */
class ReadmeExampleTest {
    @TempDir
    Path root;

    @Test
    void segmentAPhotoWithACheckpoint() throws Exception {
        Path data = root.resolve("data");
        SyntheticPets.generate(data, 8, 48, 3);
        RunConfig config = new RunConfig(ModelSpec.of(Models.SEGNET_DSC).withSeed(1).toMap(), data.toString(), 1, 4,
                32, "adam", 1e-3, null, 0.9, false, "none", 7, 0.7, "ce", 2);
        Path checkpoint = new Trainer(config, root.resolve("run"), Progress.silent(), 1).run(Trainer.Start.NEW).lastCheckpoint();
        Path photo;
        try (var images = Files.list(data.resolve("images"))) {
            photo = images.sorted().findFirst().orElseThrow();
        }

        // As in the README:
        Segmenter segmenter = Segmenter.fromCheckpoint(checkpoint);
        Segmenter.Segmentation mask = segmenter.segment(ImageDecoder.readPhoto(photo));

        assertEquals(48, mask.width());
        assertEquals(48, mask.height());
        assertEquals(48 * 48, mask.classes().length);
        for (int c : mask.classes()) {
            assertTrue(c >= 0 && c < 3, "class " + c);
        }
    }

    @Test
    void trainOnYourOwnDataset() throws Exception {
        Path mySet = root.resolve("my-set");
        SyntheticPets.generate(mySet, 8, 32, 5, 3);

        // As in the README (one epoch instead of the recipe's twenty):
        Dataset data = Datasets.open(mySet);
        System.out.println(DatasetCheck.run(data).summaryLine());
        RunConfig config = RunConfig.article(ModelSpec.of("segnet_dsc").toMap(), data.dir(), 0).withEpochs(1);
        Path checkpoint = new Trainer(config, root.resolve("runs/my-set"), Progress.toStderr(), 2).run(Trainer.Start.NEW).lastCheckpoint();

        assertEquals(List.of("background", "tabby_cat", "spotted_dog"), Segmenter.fromCheckpoint(checkpoint).palette().names());
        assertEquals("3", Checkpoint.read(checkpoint).info().config().model().get("classes"));
    }

    @Test
    void mobileNetV2FromAStateDictCompiledForInference() throws IOException {
        // A small-width MobileNetV2 stands in for torchvision's weights file; the calls are the README's.
        Module source = Models.create(ModelSpec.of(Models.MOBILENET_V2).withWidth(0.35).withClasses(10).withSeed(4));
        Path weights = root.resolve("mobilenet_v2.safetensors");
        SafeTensors.write(weights, source.stateDict(), Map.of());

        Module net = Models.create(ModelSpec.of(Models.MOBILENET_V2).withWidth(0.35).withClasses(10));
        net.loadStateDict(WeightFiles.readStateDict(weights), true);
        InferenceModel plan = InferenceModel.compile(net, CompileOptions.defaults(), 1, 3, 64, 64);
        Tensor image = Tensor.zeros(1, 3, 64, 64);
        Tensor logits = plan.run(image);
        Tensor scratch = plan.runReusingOutput(image);

        assertArrayEquals(logits.data(), scratch.data());
        assertTrue(scratch == plan.runReusingOutput(image) && logits != plan.run(image),
                "runReusingOutput returns the plan's tensor, run a new one");

        assertArrayEquals(new int[] {1, 10}, logits.shape());
        source.eval();
        float[] expected = source.forward(Tensor.zeros(1, 3, 64, 64)).data();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], logits.data()[i], 1e-4 + 1e-4 * Math.abs(expected[i]), "logit " + i);
        }
    }
}
