package dev.depthwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import dev.depthwise.train.Adam;
import dev.depthwise.train.Checkpoint;
import dev.depthwise.train.CheckpointInfo;
import dev.depthwise.train.RunConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input on the command line: one line naming the file and what is wrong with it, and exit status 1. */
class CliErrorsTest {
    @TempDir
    Path tmp;

    @Test
    void aFileWhereADirectoryIsNeededIsNamedWithTheProblem() throws Exception {
        Path file = Files.writeString(tmp.resolve("notes.txt"), "mine");
        String err = failing("generate", file.resolve("pets").toString(), "--count", "4", "--size", "32");
        assertTrue(err.contains("notes.txt"), err);
        assertTrue(err.toLowerCase(java.util.Locale.ROOT).contains("not a directory"), err);
    }

    @Test
    void aMissingOrDirectoryCheckpointIsNamed() throws Exception {
        Path data = tmp.resolve("data");
        Path folder = Files.createDirectories(tmp.resolve("folder.safetensors"));
        for (Path checkpoint : new Path[] {tmp.resolve("absent.safetensors"), folder}) {
            String err = failing("eval", "--checkpoint", checkpoint.toString(), "--data", data.toString());
            assertTrue(err.startsWith("depthwise: " + checkpoint + ": "), err);
        }
        assertTrue(failing("segment", "--checkpoint", folder.toString(), "--out", tmp.resolve("o").toString(),
                folder.toString()).contains("is a directory"));
    }

    @Test
    void stackTraceIsPrintedOnlyWhenAskedFor() {
        Path absent = tmp.resolve("absent.safetensors");
        failing("eval", "--checkpoint", absent.toString(), "--data", tmp.toString());
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(1, cl.execute("eval", "--checkpoint", absent.toString(), "--data", tmp.toString(), "--stack-trace"));
        assertTrue(err.toString().startsWith("depthwise: " + absent + ": "), err.toString());
        assertTrue(err.toString().contains("\tat "), err.toString());
    }

    @Test
    void aSparkJobsFailureIsTheExecutorsMessageInOneLine() {
        // The shape of a failed barrier stage's message: a generic line, then the executor's exception and trace.
        Exception spark = new IllegalStateException("Job aborted due to stage failure: Could not recover from a failed"
                + " barrier ResultStage. Most recent failure reason: Stage failed because barrier task ResultTask(14, 0)"
                + " finished unsuccessfully.\njava.lang.IllegalArgumentException: data/pets: none of the 4 trainval pairs"
                + " could be read\n\tat dev.depthwise.train.X.call(X.java:1)\n\tat org.apache.spark.Y.run(Y.java:2)\n");
        assertEquals("data/pets: none of the 4 trainval pairs could be read",
                dev.depthwise.train.CommandErrors.message(spark));
        assertEquals("/x/y.png: truncated: no IEND chunk",
                dev.depthwise.train.CommandErrors.message(new IllegalStateException("/x/y.png: truncated: no IEND chunk")));
    }

    @Test
    void anUnreachableMirrorNamesTheUrl() {
        String err = failing("download", tmp.resolve("pets").toString(), "--base-url", "ftp://127.0.0.1/pets/");
        assertTrue(err.contains("'ftp://127.0.0.1/pets/' is not an absolute http:// or https:// URL"), err);
    }

    @Test
    void fileSystemErrorsSayWhatHappened() {
        assertEquals("/x/y: permission denied", dev.depthwise.engine.IoErrors.describe(new java.nio.file.AccessDeniedException("/x/y")));
        assertEquals("/x/y: no such file or directory", dev.depthwise.engine.IoErrors.describe(new java.nio.file.NoSuchFileException("/x/y")));
        assertEquals("/x/y: disk full", dev.depthwise.engine.IoErrors.describe(new java.nio.file.FileSystemException("/x/y", null, "disk full")));
    }

    @Test
    void aDatasetWithNoReadableImageIsAnErrorNotAResult() throws Exception {
        Path data = tmp.resolve("data");
        assertEquals(0, Main.commandLine().execute("generate", data.toString(), "--count", "4", "--size", "32"));
        try (var images = Files.list(data.resolve("images"))) {
            for (Path image : images.toList()) {
                Files.writeString(image, "not an image");
            }
        }
        String train = failing("train", "--data", data.toString(), "--epochs", "1", "--batch-size", "2",
                "--image-size", "32", "--threads", "1", "--out", tmp.resolve("run").toString());
        assertTrue(train.contains("epoch 1: none of the 2 trainval pairs could be read"), train);

        ModelSpec spec = ModelSpec.of(Models.SEGNET_DSC);
        Module model = Models.create(spec);
        Path checkpoint = tmp.resolve("ckpt.safetensors");
        Checkpoint.save(checkpoint, model, new Adam(model.namedParameters(), 1e-3), new CheckpointInfo(
                CheckpointInfo.FORMAT, RunConfig.article(spec.toMap(), data, 3), 0, 0, java.util.List.of()));
        String eval = failing("eval", "--checkpoint", checkpoint.toString(), "--data", data.toString());
        assertTrue(eval.contains("none of the 2 listed pairs could be read"), eval);

        Path moved = Files.move(data, tmp.resolve("moved"));
        String gone = failing("eval", "--checkpoint", checkpoint.toString());
        assertTrue(gone.contains("was trained on " + data + ", which is not a directory here; give the data "
                + "directory (eval --data DIR)"), gone);
        assertTrue(Files.isDirectory(moved));
    }

    @Test
    void runningOutOfHeapIsOneLineWithAdvice() {
        @picocli.CommandLine.Command(name = "hungry")
        class Hungry implements java.util.concurrent.Callable<Integer> {
            @Override
            public Integer call() {
                throw new OutOfMemoryError("Java heap space");
            }
        }
        StringWriter err = new StringWriter();
        var cl = new picocli.CommandLine(new Hungry());
        cl.setErr(new PrintWriter(err, true));
        assertEquals(1, Main.execute(cl));
        assertTrue(err.toString().startsWith("depthwise: out of Java heap (max "), err.toString());
        assertTrue(err.toString().contains("DEPTHWISE_JAVA_OPTS=-Xmx"), err.toString());
    }

    @Test
    void everyTrainingOptionIsCheckedBeforeAnyWorkOrFile() throws Exception {
        Path data = tmp.resolve("data");
        assertEquals(0, Main.commandLine().execute("generate", data.toString(), "--count", "4", "--size", "32"));
        Path out = tmp.resolve("run");
        String[][] cases = {
                {"--gamma", "NaN"}, {"--gamma", "-1"}, {"--lr", "Infinity"}, {"--momentum", "-0.5"},
                {"--model", "mobilenet_v2_seg", "--image-size", "50"}, {"--max-pixels", "0"}, {"--threads", "0"},
                {"--loader-threads", "0"}, {"--resume", "--overwrite"}, {"--optimizer", "lion"},
                {"--validation-fraction", "NaN"}, {"--validation-fraction", "1"}, {"--validation-fraction", "-0.1"},
                {"--recipe", "small-data", "--validation-fraction", "0.9"}, {"--threads", "100000"},
                {"--image-size", "0"}, {"--batch-size", "0"}};
        String[] expected = {
                "gamma must be a finite number > 0, got NaN", "gamma must be a finite number > 0, got -1.0",
                "lr must be a finite number >= 0, got Infinity", "momentum must be a finite number >= 0, got -0.5",
                "the model does not take input [batch, 3, 50, 50]", "--max-pixels must be >= 1, got 0",
                "--threads must be 1 to ", "--loader-threads must be >= 1, got 0",
                "--resume and --overwrite exclude each other", "unknown optimizer 'lion'",
                "--validation-fraction must be >= 0 (0: no validation carve) and < 1, got NaN",
                "--validation-fraction must be >= 0 (0: no validation carve) and < 1, got 1.0",
                "--validation-fraction must be >= 0 (0: no validation carve) and < 1, got -0.1",
                "--validation-fraction 0.9 holds out 2 of the 2 pairs of the trainval split of " + data
                        + ", none to train on",
                "--threads must be 1 to ", "--image-size must be >= 16, got 0", "--batch-size must be >= 1, got 0"};
        for (int i = 0; i < cases.length; i++) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "--data", data.toString(),
                    "--epochs", "1", "--out", out.toString()));
            args.addAll(java.util.List.of(cases[i]));
            String err = failing(args.toArray(String[]::new));
            assertTrue(err.contains(expected[i]), String.join(" ", cases[i]) + ": " + err);
            assertFalse(Files.exists(out), String.join(" ", cases[i]) + " created " + out);
        }
        assertTrue(failing("train", "--data", data.toString(), "--epochs", "0", "--out", out.toString())
                .contains("--epochs must be >= 1, got 0"));
        String badData = failing("train", "--data", tmp.resolve("nowhere").toString(), "--out", out.toString());
        assertTrue(badData.contains("nowhere does not exist"), badData);
        assertFalse(Files.exists(out), "a bad --data created " + out);
    }

    @Test
    void aMistypedOptionIsOneLineNamingItNotTheUsageText() {
        String[][] cases = {{"train", "--epochs", "abc"}, {"summary", "segnet", "--input", "a,b"},
                {"segment", "--checkpoint", "x.safetensors", "--out", "o"}, {"train", "--epoch=3"}};
        String[] expected = {"depthwise: Invalid value for option '--epochs': 'abc' is not an int; see 'depthwise train --help'",
                "depthwise: Invalid value for option '--input' (C,H,W): 'a' is not an int; see 'depthwise summary --help'",
                "depthwise: Missing required parameter: 'IMAGE-or-DIR'; see 'depthwise segment --help'",
                "depthwise: Unknown option: '--epoch=3' (did you mean --epochs?); see 'depthwise train --help'"};
        for (int i = 0; i < cases.length; i++) {
            StringWriter err = new StringWriter();
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            cl.setOut(new PrintWriter(new StringWriter(), true));
            assertEquals(2, cl.execute(cases[i]), err.toString());
            assertEquals(expected[i], err.toString().strip());
        }
    }

    @Test
    void aRunDirectoryThatCannotHoldTheEpochGridsFailsBeforeTraining() throws Exception {
        Path data = tmp.resolve("data");
        assertEquals(0, Main.commandLine().execute("generate", data.toString(), "--count", "4", "--size", "32"));
        Path out = tmp.resolve("run");
        Files.createDirectories(out);
        Files.writeString(out.resolve("epochs"), "a file where the epoch grids go");
        String err = failing("train", "--data", data.toString(), "--epochs", "1", "--batch-size", "2",
                "--image-size", "32", "--threads", "1", "--out", out.toString());
        assertEquals("depthwise: cannot write in " + out.resolve("epochs") + ": already exists (and is in the way)", err);
        assertFalse(Files.exists(out.resolve("last.safetensors")), "trained before finding out");
    }

    @Test
    void inferenceOptionsAreCheckedBeforeAnyFileIsRead() {
        Path absent = tmp.resolve("absent.safetensors");
        assertEquals("depthwise: --batch-size must be >= 1, got 0",
                failing("eval", "--checkpoint", absent.toString(), "--batch-size", "0"));
        assertEquals("depthwise: --max-pixels must be >= 1, got -5", failing("segment", "--checkpoint", absent.toString(),
                "--out", tmp.resolve("o").toString(), "--max-pixels", "-5", tmp.toString()));
        assertEquals("depthwise: --top must be >= 1, got 0",
                failing("classify", tmp.toString(), "--weights", absent.toString(), "--top", "0"));
        assertEquals("depthwise: --width must be a finite number > 0, got NaN",
                failing("classify", tmp.toString(), "--weights", absent.toString(), "--width", "NaN"));
        assertFalse(Files.exists(tmp.resolve("o")));
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals("depthwise: --workers must be 1 to " + 4 * cores + " (4 per core, " + cores + " here), got 100000",
                failing("serve", "--checkpoint", absent.toString(), "--workers", "100000"));
    }

    @Test
    void aMistypedImagePathLeavesNoOutputDirectory() throws Exception {
        Path data = tmp.resolve("data");
        assertEquals(0, Main.commandLine().execute("generate", data.toString(), "--count", "2", "--size", "32"));
        ModelSpec spec = ModelSpec.of(Models.SEGNET_DSC);
        Module model = Models.create(spec);
        Path checkpoint = tmp.resolve("ckpt.safetensors");
        Checkpoint.save(checkpoint, model, null, new CheckpointInfo(
                CheckpointInfo.FORMAT, RunConfig.article(spec.toMap(), data, 3), 0, 0, java.util.List.of()));
        Path out = tmp.resolve("masks");
        String err = failing("segment", "--checkpoint", checkpoint.toString(), "--out", out.toString(),
                tmp.resolve("no-such-photo.jpg").toString());
        assertEquals("depthwise: " + tmp.resolve("no-such-photo.jpg") + ": no such file or directory", err);
        assertFalse(Files.exists(out), "a mistyped input created " + out);
    }

    @Test
    void summaryValidatesItsInputAsExportDoes() {
        String err = failing("summary", "segnet_dsc", "--input", "3,0,0");
        assertEquals("depthwise: --input 3,0,0: input [batch, 3, 0, 0] must have positive sizes", err);
        String small = failing("summary", "segnet_dsc", "--input", "3,7,7");
        assertTrue(small.startsWith("depthwise: --input 3,7,7: the model does not take input [batch, 3, 7, 7]: "), small);
    }

    @Test
    void aFileThatCannotBeWrittenIsNamedNotItsTemporaryFile() {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux's /proc");
        String err = failing("export", "segnet_dsc", "/proc/x.onnx", "--input", "3,32,32");
        assertTrue(err.startsWith("depthwise: cannot write /proc/x.onnx: "), err);
        assertFalse(err.contains(".tmp"), err);
    }

    /** Runs the command, asserts exit status 1, no stack trace, and returns standard error. */
    static String failing(String... args) {
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(1, cl.execute(args), err.toString());
        String text = err.toString();
        assertFalse(text.contains("\tat "), text);
        assertEquals(1, text.strip().lines().count(), text);
        return text.strip();
    }
}
