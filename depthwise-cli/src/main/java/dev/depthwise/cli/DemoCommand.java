package dev.depthwise.cli;

import dev.depthwise.train.Demo;
import dev.depthwise.train.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code depthwise demo}: the quick start, generate, train, report and segment, in a few minutes. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate synthetic pets, train SegNet-DSC briefly, write the report and segment sample images.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "runs/demo", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--epochs", description = "Training epochs (default: the quick setting).")
    Integer epochs;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        threads.apply();
        long start = System.nanoTime();
        Demo demo = Demo.quick();
        if (epochs != null) {
            demo = new Demo(demo.count(), demo.dataSize(), demo.imageSize(), epochs, demo.batchSize(), demo.lr(),
                    demo.samples(), demo.seed());
        }
        Demo.Result r = demo.run(out, Progress.toStderr(), System.err);
        stdout.printf(Locale.ROOT, "%ndemo finished in %.0f s: test pixel accuracy %.4f, IoU %.4f%n",
                (System.nanoTime() - start) / 1e9, r.training().last().pixelAccuracy(), r.training().last().iou());
        stdout.println("data:        " + r.data());
        stdout.println("report:      " + r.training().report());
        stdout.println("checkpoint:  " + r.training().lastCheckpoint());
        stdout.println("segmented:   " + r.segmented() + " (" + r.segmentedFiles().size() + " files)");
        return 0;
    }
}
