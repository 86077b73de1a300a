package dev.depthwise.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depthwise.data.Dataset;
import dev.depthwise.data.Datasets;
import dev.depthwise.data.SampleFiles;
import dev.depthwise.data.Split;
import dev.depthwise.data.SyntheticPets;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The validation carve that chooses a run's best epoch: held out of the training split only, seeded, written into
 * the run directory and read back on resume, and the only thing that ever writes {@code best.safetensors}.
 */
class ValidationCarveTest {
    @TempDir
    static Path root;
    /** A generated 3-class set in plain folders, with its train.txt and val.txt (the test split). */
    static Path animals;

    @BeforeAll
    static void generate() throws IOException {
        animals = root.resolve("animals");
        SyntheticPets.generate(animals, 30, 32, 6, 3);
    }

    /** The names a run's carve file lists, read as plain JSON. */
    private static List<String> listed(Path run) throws IOException {
        return new ObjectMapper().readValue(run.resolve("split/validation.json").toFile(),
                new TypeReference<List<String>>() { });
    }

    private static Set<Path> images(List<SampleFiles> samples) {
        return samples.stream().map(SampleFiles::image).collect(Collectors.toSet());
    }

    private static RunConfig tiny(Path data, int epochs, double validationFraction) {
        RunConfig c = new RunConfig(ModelSpec.of(Models.SEGNET_DSC).withSeed(1).toMap(), data.toString(), epochs, 4, 32,
                "adam", 3e-3, null, 0.9, false, "step", 1, 0.7, "ce", 7);
        return new RunConfig(c.model(), c.dataDir(), c.epochs(), c.batchSize(), c.imageSize(), c.optimizer(), c.lr(),
                c.weightDecay(), c.momentum(), c.nesterov(), c.scheduler(), c.stepSize(), c.gamma(), c.loss(), c.seed(),
                c.dataset(), c.transfer(), c.recipe(), validationFraction);
    }

    @Test
    void theCarveIsSeededAndDisjointFromTrainingAndTest() {
        Dataset data = Datasets.open(animals, Datasets.Options.DEFAULT.withSeed(7));
        List<SampleFiles> trainval = data.entries(Split.TRAINVAL);
        assertEquals(15, trainval.size());
        ValidationCarve carve = ValidationCarve.draw(data, 0.25, 7);
        assertEquals(4, carve.validation().size());
        assertEquals(11, carve.train().size());
        Set<Path> train = images(carve.train());
        Set<Path> validation = images(carve.validation());
        Set<Path> test = images(data.entries(Split.TEST));
        assertEquals(15, test.size());
        for (Path p : validation) {
            assertFalse(train.contains(p) || test.contains(p), p + " is held out and also trained or tested on");
        }
        Set<Path> union = new HashSet<>(train);
        union.addAll(validation);
        assertEquals(images(trainval), union);

        assertEquals(carve, ValidationCarve.draw(data, 0.25, 7));
        assertNotEquals(carve.validation(), ValidationCarve.draw(data, 0.25, 8).validation());
        ValidationCarve none = ValidationCarve.draw(data, 0, 7);
        assertEquals(trainval, none.train());
        assertTrue(none.validation().isEmpty());
    }

    @Test
    void aPairTheTestListAlsoNamesIsNeverHeldOut() throws IOException {
        Path overlap = root.resolve("overlap");
        SyntheticPets.generate(overlap, 10, 32, 5, 3);
        List<String> stems;
        try (var files = Files.list(overlap.resolve("images"))) {
            stems = files.map(f -> Datasets.stem(f)).sorted().toList();
        }
        Files.write(overlap.resolve("train.txt"), stems);
        Files.write(overlap.resolve("val.txt"), stems.subList(0, 5)); // lists that overlap: a user's mistake
        Dataset data = Datasets.open(overlap);
        Set<Path> test = images(data.entries(Split.TEST));
        for (long seed = 0; seed < 10; seed++) {
            ValidationCarve carve = ValidationCarve.draw(data, 0.4, seed);
            assertEquals(2, carve.validation().size());
            for (SampleFiles f : carve.validation()) {
                assertFalse(test.contains(f.image()), "seed " + seed + ": " + f.name() + " is a test image");
            }
        }
    }

    @Test
    void namesWithRunsOfSpacesTabsAndHashesReadBackExactly() throws IOException {
        Path odd = root.resolve("odd-names");
        SyntheticPets.generate(odd, 12, 32, 4, 3);
        Files.delete(odd.resolve("train.txt")); // a seeded split: lists split on white space could not name these
        Files.delete(odd.resolve("val.txt"));
        String[] forms = {"%s  two spaces", "%s\ttab", "#%s", " %s", "%s ", "%s \t mixed"};
        List<Path> images;
        try (var files = Files.list(odd.resolve("images"))) {
            images = files.sorted().toList();
        }
        for (int i = 0; i < images.size(); i++) {
            String stem = Datasets.stem(images.get(i));
            String name = String.format(forms[i % forms.length], stem);
            String extension = images.get(i).getFileName().toString().substring(stem.length());
            Files.move(images.get(i), images.get(i).resolveSibling(name + extension));
            Files.move(odd.resolve("masks").resolve(stem + ".png"), odd.resolve("masks").resolve(name + ".png"));
        }
        Dataset data = Datasets.open(odd, Datasets.Options.DEFAULT.withSeed(3));
        ValidationCarve carve = ValidationCarve.draw(data, 0.5, 3);
        assertTrue(carve.validation().size() >= 3, carve.validation().toString());
        Path run = root.resolve("odd-run");
        carve.write(data, run);

        assertEquals(carve.validation().stream().map(data::listName).toList(), listed(run));
        assertEquals(carve, ValidationCarve.read(data, run, w -> { throw new AssertionError(w); }));
    }

    @Test
    void aListedPairNoLongerInTheSplitIsSkippedSayingSoAndABadFileIsNamed() throws IOException {
        Dataset data = Datasets.open(animals, Datasets.Options.DEFAULT.withSeed(7));
        Path run = root.resolve("edited-run");
        Path file = run.resolve("split/validation.json");
        Files.createDirectories(file.getParent());
        String kept = data.listName(data.entries(Split.TRAINVAL).get(0));
        Files.writeString(file, "[\"" + kept + "\", \"images/gone.png\"]");
        List<String> warnings = new ArrayList<>();
        ValidationCarve carve = ValidationCarve.read(data, run, warnings::add);
        assertEquals(List.of(data.entries(Split.TRAINVAL).get(0)), carve.validation());
        assertEquals(List.of("skipping 'images/gone.png' of " + file + ": not a pair of the train split of " + animals),
                warnings);

        for (String bad : new String[] {"images/a.png\nimages/b.png\n", "[\"a\", 3, [", "[null]", "{\"a\": 1}"}) {
            Files.writeString(file, bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ValidationCarve.read(data, run, warnings::add), bad);
            assertTrue(e.getMessage().startsWith(file + " is not a JSON list of image paths: "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void aBadFractionIsOneLineNamingTheOption() {
        for (double bad : new double[] {-0.1, 1, 1.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tiny(animals, 1, bad));
            assertEquals("--validation-fraction must be >= 0 (0: no validation carve) and < 1, got " + bad, e.getMessage());
        }
        Dataset data = Datasets.open(animals, Datasets.Options.DEFAULT.withSeed(7));
        IllegalArgumentException all = assertThrows(IllegalArgumentException.class,
                () -> ValidationCarve.draw(data, 0.99, 7));
        assertTrue(all.getMessage().startsWith("--validation-fraction 0.99 holds out 15 of the 15 pairs of the train split"),
                all.getMessage());
        assertEquals(0.2, RunConfig.smallData(tiny(animals, 1, 0).model(), animals, 0).validationFraction().doubleValue());
        assertEquals(0.0, tiny(animals, 1, 0).withEpochs(2).validationFraction().doubleValue());
    }

    @Test
    void theBestEpochIsChosenOnTheCarveRecordedInTheRunAndKeptOnResume() throws IOException {
        Path straight = root.resolve("straight");
        Trainer.Result full = new Trainer(tiny(animals, 3, 0.25), straight, Progress.silent(), 1).run(Trainer.Start.NEW);
        Dataset data = Datasets.open(animals, Datasets.Options.DEFAULT.withSeed(7).withSavedSplit(straight));
        ValidationCarve drawn = ValidationCarve.draw(data, 0.25, 7);
        List<String> listed = listed(straight);
        assertEquals(drawn.validation().stream().map(data::listName).toList(), listed);
        assertEquals(drawn, ValidationCarve.read(data, straight, w -> { throw new AssertionError(w); }));

        EpochRecord best = full.history().get(0);
        for (EpochRecord e : full.history()) {
            assertNotNull(e.validation(), "epoch " + e.epoch());
            if (e.validation().get("mean_iou") > best.validation().get("mean_iou")) {
                best = e;
            }
        }
        assertEquals(best.epoch(), full.chosen().epoch());
        assertEquals(best.epoch(), Checkpoint.read(full.bestCheckpoint()).info().epoch());
        String report = Files.readString(full.report());
        assertTrue(report.contains("Kept: epoch " + best.epoch() + " of 3 (best.safetensors), chosen on the validation"
                + " carve"), report);

        // Interrupted after 2 epochs and resumed: the same carve, the same weights and the same choice.
        Path resumed = root.resolve("resumed");
        new Trainer(tiny(animals, 2, 0.25), resumed, Progress.silent(), 1).run(Trainer.Start.NEW);
        Trainer.Result continued = new Trainer(Trainer.resumedConfig(resumed, 3), resumed, Progress.silent(), 1)
                .run(Trainer.Start.RESUME);
        assertEquals(listed, listed(resumed));
        assertEquals(full.last().validation(), continued.last().validation());
        assertEquals(full.chosen().epoch(), continued.chosen().epoch());
        Checkpoint.Contents a = Checkpoint.read(full.lastCheckpoint());
        Checkpoint.Contents b = Checkpoint.read(continued.lastCheckpoint());
        a.weights().forEach((k, t) -> assertArrayEquals(t.data(), b.weights().get(k).data(), k));
    }

    @Test
    void aResumedRunKeepsItsCarveWhenTheDatasetFolderChanges() throws IOException {
        Path pets = root.resolve("pets");
        SyntheticPets.generate(pets, 24, 32, 3); // the pet layout: annotations/trainval.txt and test.txt
        Path run = root.resolve("pets-run");
        new Trainer(tiny(pets, 1, 0.25), run, Progress.silent(), 1).run(Trainer.Start.NEW);
        List<String> held = listed(run);
        assertEquals(3, held.size());

        // A trained-on pair leaves the list: drawn anew, the carve would be another one.
        Path list = pets.resolve("annotations/trainval.txt");
        List<String> lines = new ArrayList<>(Files.readAllLines(list));
        String trainedOn = lines.stream().filter(line -> !line.isBlank())
                .filter(line -> !held.contains("images/" + line.split(" ")[0] + ".jpg")).findFirst().orElseThrow();
        lines.remove(trainedOn);
        Files.write(list, lines);
        Dataset smaller = Datasets.open(pets);
        assertNotEquals(held, ValidationCarve.draw(smaller, 0.25, 7).validation().stream().map(smaller::listName).toList());

        Trainer.Result continued = new Trainer(Trainer.resumedConfig(run, 2), run, Progress.silent(), 1)
                .run(Trainer.Start.RESUME);
        assertEquals(held, listed(run));
        assertEquals(held, ValidationCarve.read(smaller, run, w -> { throw new AssertionError(w); }).validation()
                .stream().map(smaller::listName).toList());
        assertNotNull(continued.last().validation());
    }

    @Test
    void withoutACarveNoEpochIsChosenAndNoBestIsWritten() throws IOException {
        Path run = root.resolve("no-carve");
        Trainer.Result r = new Trainer(tiny(animals, 2, 0), run, Progress.silent(), 1).run(Trainer.Start.NEW);
        assertFalse(Files.exists(run.resolve(Trainer.BEST)));
        assertFalse(Files.exists(run.resolve("split/validation.json")));
        assertEquals(2, r.chosen().epoch());
        String report = Files.readString(r.report());
        assertTrue(report.contains("Kept: the last epoch, 2 (last.safetensors). This run has no validation carve"
                + " (--validation-fraction 0), so no epoch was chosen, and none on the test split."), report);
        Evaluation e = Evaluation.run(r.lastCheckpoint(), null, Split.TEST, 4, 1, dev.depthwise.data.DecodeLimits.DEFAULT);
        assertTrue(e.json().contains("\"epoch_choice\" : \"none: the run has no validation carve"), e.json());
    }
}
