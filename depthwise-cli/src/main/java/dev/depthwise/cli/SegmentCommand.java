package dev.depthwise.cli;

import dev.depthwise.train.DecodeLimitsOption;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.train.AlphaMatte;
import dev.depthwise.train.Segmenter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code depthwise segment}: masks, overlays and cut-outs for images at their original resolution. */
@Command(name = "segment", mixinStandardHelpOptions = true,
        description = {"Segment images with a trained checkpoint. Per image, at its original resolution:",
                "NAME.mask.png (a palette PNG: its indices are the classes), NAME.overlay.png,",
                "and with --cutout NAME.cutout.png (the kept classes on a transparent background, the pets soft-edged);",
                "legend.png names the colours."})
final class SegmentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "A .safetensors checkpoint written by train.")
    Path checkpoint;

    @Parameters(paramLabel = "IMAGE-or-DIR", arity = "1..*", description = "Images, or directories of images.")
    List<Path> inputs;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--cutout", description = "Also write the kept classes on a transparent background.")
    boolean cutout;

    @Option(names = "--alpha", paramLabel = "soft|hard", defaultValue = "soft", converter = AlphaModeConverter.class,
            description = {"The cut-out's edges: soft (default) mats the border band with the guided filter at the "
                    + "photo's resolution; hard is the class map (border half-transparent)."})
    AlphaMatte.Mode alpha;

    @Option(names = "--keep", split = ",", paramLabel = "CLASS",
            description = "Classes the cut-out keeps, by name, e.g. cat,dog (default: every class but the background).")
    List<String> keep;

    @Mixin
    ThreadsOption threads;

    @Mixin
    DecodeLimitsOption decodeLimits;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        DecodeLimits limits = decodeLimits.limits();
        threads.apply();
        Segmenter segmenter = Segmenter.fromCheckpoint(checkpoint);
        if (keep != null) {
            segmenter = segmenter.keeping(keep);
        }
        Segmenter.Summary s = segmenter.segmentFiles(inputs, out, cutout || keep != null ? alpha : null, limits,
                System.err);
        if (s.written().isEmpty() && s.skipped().isEmpty()) {
            throw new IllegalArgumentException("no image files (.jpg, .jpeg, .png, .gif, .bmp) in " + inputs);
        }
        stdout.printf("wrote %d files to %s%s%n", s.written().size(), out,
                s.skipped().isEmpty() ? "" : "; skipped " + s.skipped().size() + " unreadable image(s)");
        // As classify: the readable images are done, but a skipped one makes the exit status say so.
        return s.skipped().isEmpty() ? 0 : 1;
    }

    /** picocli's enum conversion is case-sensitive on the constant names; users type soft and hard. */
    static final class AlphaModeConverter implements picocli.CommandLine.ITypeConverter<AlphaMatte.Mode> {
        @Override
        public AlphaMatte.Mode convert(String value) {
            return AlphaMatte.Mode.parse(value);
        }
    }
}
