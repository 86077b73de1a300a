package dev.depthwise.train;

import dev.depthwise.data.DecodeLimits;
import picocli.CommandLine.Option;

/** The {@code --max-pixels} option shared by the commands that decode images, the CLI's and Spark's (a picocli mixin). */
public final class DecodeLimitsOption {
    @Option(names = "--max-pixels", paramLabel = "N", defaultValue = "" + DecodeLimits.DEFAULT_MAX_PIXELS,
            description = "Skip (and name) an image whose header declares more pixels than this, before decoding it "
                    + "(default ${DEFAULT-VALUE}).")
    long maxPixels;

    public DecodeLimits limits() {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("--max-pixels must be >= 1, got " + maxPixels);
        }
        return new DecodeLimits(maxPixels);
    }
}
