package dev.depthwise.cli;

import dev.depthwise.train.DecodeLimitsOption;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.depthwise.data.DatasetCheck;
import dev.depthwise.data.Datasets;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.Layout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code depthwise dataset check DIR}: a dataset's layout, splits, faulty files, class histogram and sizes. */
@Command(name = "dataset", mixinStandardHelpOptions = true, description = "Inspect a dataset folder.",
        subcommands = DatasetCommand.Check.class)
final class DatasetCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Decode every pair of a dataset once and report: the layout found, pairs per split, each",
                    "unreadable or mismatched file, mask values outside the classes, colours missing from the colour map,",
                    "the class histogram (pixels and images per class, share of ignored pixels) and the image sizes.",
                    "Exits 1 when something is wrong."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "The dataset folder.")
        Path dir;

        @Option(names = "--layout", description = "pets, folders, voc or colors (default: detected from the folder).")
        String layout;

        @Option(names = "--colors", description = "Colour map of RGB masks, 'R,G,B name' per line (the colors layout).")
        Path colors;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the split when the dataset has no lists (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--json", description = "Print JSON instead of text.")
        boolean json;

        @Mixin
        DecodeLimitsOption decodeLimits;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            DecodeLimits limits = decodeLimits.limits();
            Datasets.Options options = Datasets.Options.DEFAULT.withLayout(layout == null ? null : Layout.of(layout))
                    .withColors(colors).withSeed(seed);
            DatasetCheck check = DatasetCheck.run(Datasets.open(dir, options), limits);
            if (json) {
                ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                ObjectNode root = mapper.valueToTree(check);
                root.put("ignored_share", check.ignoredShare());
                root.put("ok", check.ok());
                out.println(mapper.writeValueAsString(root));
            } else {
                out.print(check.text());
            }
            out.flush();
            return check.ok() ? 0 : 1;
        }
    }
}
