package dev.depthwise.cli;

import dev.depthwise.train.DecodeLimitsOption;
import dev.depthwise.data.Split;
import dev.depthwise.train.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code depthwise eval}: a checkpoint's metrics on a split of a dataset. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a training checkpoint: pixel accuracy, IoU (background left out, as the article), "
                + "per-class and mean IoU, soft IoU, confusion matrix, named by the run's classes.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "A .safetensors checkpoint written by train.")
    Path checkpoint;

    @Option(names = "--data", description = "Dataset directory (default: the one the checkpoint was trained on).")
    Path data;

    @Option(names = "--split", defaultValue = "test", description = "test (the held-out split: test.txt for the pets,"
            + " the validation split otherwise; also 'val'), trainval (also 'train'; all of it, a validation carve"
            + " included) or carve (the training pairs the run held out to choose its best epoch,"
            + " RUN/split/validation.json) (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--batch-size", defaultValue = "16", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin
    ThreadsOption threads;

    @Mixin
    DecodeLimitsOption decodeLimits;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        threads.apply();
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        }
        Evaluation e = switch (split.toLowerCase(Locale.ROOT)) {
            case "test", "val" -> Evaluation.run(checkpoint, data, Split.TEST, batchSize, 2, decodeLimits.limits());
            case "trainval", "train" -> Evaluation.run(checkpoint, data, Split.TRAINVAL, batchSize, 2, decodeLimits.limits());
            case "carve" -> Evaluation.runOnValidationCarve(checkpoint, data, batchSize, 2, decodeLimits.limits());
            default -> throw new IllegalArgumentException("unknown split '" + split + "' (test or val, trainval or train, carve)");
        };
        stdout.print(json ? e.json() + System.lineSeparator() : e.table());
        stdout.flush();
        return 0;
    }
}
