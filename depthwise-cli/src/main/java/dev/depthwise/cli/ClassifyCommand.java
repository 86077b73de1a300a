package dev.depthwise.cli;

import dev.depthwise.train.DecodeLimitsOption;
import dev.depthwise.data.BadFileException;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.ImageDecoder;
import dev.depthwise.data.RgbImage;
import dev.depthwise.models.Classification;
import dev.depthwise.train.Classifier;
import dev.depthwise.train.ClassifierOptions;
import dev.depthwise.train.Segmenter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code depthwise classify IMAGE-or-DIR... --weights FILE}: top ImageNet classes with torchvision's MobileNetV2
 * weights. Takes files and directories as {@code segment} does: an unreadable image is skipped and reported, the
 * others go on, and the exit status says something was skipped.
 */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = {"Classify images with MobileNetV2 and torchvision's ImageNet weights (download "
                + "mobilenet_v2-b0353104.pth or mobilenet_v2-7ebf99e0.pth yourself); prints the top classes "
                + "with probabilities.",
                "Preprocessing as torchvision: shorter side to 256 (Pillow-exact bilinear), centre crop 224, "
                        + "ImageNet mean/std."})
final class ClassifyCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "IMAGE-or-DIR", description = "Images (JPEG, PNG, ...; read by content), "
            + "or directories of images (.jpg, .jpeg, .png, .gif, .bmp, in name order).")
    List<Path> inputs;

    @Mixin
    ClassifierOptions classifierOptions;

    @Mixin
    DecodeLimitsOption decodeLimits;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Before the weights are read: a mistyped path or a bad option fails at once.
        DecodeLimits limits = decodeLimits.limits();
        classifierOptions.check();
        List<Path> images = Segmenter.expand(inputs);
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no image files (.jpg, .jpeg, .png, .gif, .bmp) in " + inputs);
        }
        Classifier classifier = Classifier.fromWeights(classifierOptions.weights(), classifierOptions.width());
        int failed = 0;
        for (Path image : images) {
            RgbImage input;
            try {
                input = ImageDecoder.readPhoto(image, limits);
            } catch (BadFileException e) {
                err.println("warning: skipping " + e.getMessage()); // as segment and the data loaders say it
                failed++;
                continue;
            }
            out.println(image);
            for (Classification.Score s : classifier.classify(input, classifierOptions.top())) {
                out.printf("  %7.4f  %s (%d)%n", s.probability(), s.label(), s.index());
            }
        }
        out.flush();
        if (failed > 0) {
            err.printf("%d of %d images could not be read%n", failed, images.size());
        }
        return failed == 0 ? 0 : 1;
    }
}
