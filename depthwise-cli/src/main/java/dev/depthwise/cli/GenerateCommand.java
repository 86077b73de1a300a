package dev.depthwise.cli;

import dev.depthwise.data.SyntheticPets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code depthwise generate DIR}: a synthetic pet dataset in the Oxford-IIIT Pet layout. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Write synthetic pets (JPEG images, PNG trimaps, trainval/test lists) in the Oxford-IIIT Pet layout,",
                "or with --classes K a K-class set in the plain-folders layout (background and K-1 kinds of animal)."})
final class GenerateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Output directory (new, empty, or made by generate before).")
    Path dir;

    @Option(names = "--count", defaultValue = "400", description = "Number of images, split half trainval, half test (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--size", defaultValue = "128", description = "Image width and height in pixels (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed; the same seed gives the same files (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--classes", description = "A multi-class set: the background and K-1 kinds of animal, 2 to 7"
            + " (images/, masks/, classes.txt, train.txt, val.txt); default: the pet layout.")
    Integer classes;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        SyntheticPets.Result result = SyntheticPets.generate(dir, count, size, seed, classes == null ? 0 : classes);
        if (result.alreadyThere()) {
            System.out.printf("%s already holds these %d synthetic pets (size %d, seed %d); nothing to do%n", dir, count, size, seed);
        } else {
            System.out.printf("generated %d synthetic pets (%dx%d, seed %d%s) in %s in %.1f s%n", result.count(), size, size,
                    seed, classes == null ? "" : ", " + classes + " classes", dir, (System.nanoTime() - start) / 1e9);
        }
        return 0;
    }
}
