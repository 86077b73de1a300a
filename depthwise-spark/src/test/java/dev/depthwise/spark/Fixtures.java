package dev.depthwise.spark;

import dev.depthwise.data.SyntheticPets;
import dev.depthwise.io.SafeTensors;
import dev.depthwise.models.MobileNetV2;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import dev.depthwise.train.Checkpoint;
import dev.depthwise.train.CheckpointInfo;
import dev.depthwise.train.RunConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Small inputs for the Spark tests: generated pets, an untrained checkpoint, small MobileNetV2 weights. */
final class Fixtures {
    private Fixtures() {
    }

    /** 16 generated pets (8 trainval, 8 test) of 40x40 in the Oxford-IIIT Pet layout. */
    static Path pets(Path dir) throws IOException {
        SyntheticPets.generate(dir, 16, 40, 5);
        return dir;
    }

    /** A small run: SegNet-DSC at 32x32, batch 4. */
    static RunConfig tinyRun(Path data, int epochs) {
        return new RunConfig(ModelSpec.of(Models.SEGNET_DSC).withSeed(1).toMap(), data.toString(), epochs, 4, 32,
                "adam", 1e-3, null, 0.9, false, "step", 1, 0.5, "ce", 7);
    }

    /** A checkpoint of an untrained SegNet-DSC: enough for the masks to be checked against the CLI's. */
    static Path checkpoint(Path file, Path data) throws IOException {
        RunConfig config = tinyRun(data, 1);
        Module model = Models.create(ModelSpec.fromMap(config.model()));
        Checkpoint.save(file, model, null, new CheckpointInfo(CheckpointInfo.FORMAT, config, 0, 0, List.of()));
        return file;
    }

    /** MobileNetV2 of width 0.25 and 10 classes with seeded random weights, as a safetensors state dict. */
    static Path mobileNetWeights(Path file) throws IOException {
        SafeTensors.write(file, new MobileNetV2(10, 0.25, 0.2f, 3).stateDict(), Map.of("format", "pt"));
        return file;
    }

    /** A folder with the pets' first images in two levels and one file that is not an image. */
    static Path photoFolder(Path dir, Path pets, int count) throws IOException {
        Files.createDirectories(dir.resolve("more"));
        try (var images = Files.list(pets.resolve("images"))) {
            List<Path> first = images.sorted().limit(count).toList();
            for (int i = 0; i < first.size(); i++) {
                Path target = i % 2 == 0 ? dir : dir.resolve("more");
                Files.copy(first.get(i), target.resolve(first.get(i).getFileName()));
            }
        }
        Files.writeString(dir.resolve("broken.jpg"), "not a picture");
        return dir;
    }
}
