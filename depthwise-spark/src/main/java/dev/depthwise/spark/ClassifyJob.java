package dev.depthwise.spark;

import dev.depthwise.train.DecodeLimitsOption;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code classify}: a folder of images into a Parquet table of their top ImageNet classes. */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = {"Classify every image under --input with MobileNetV2 and torchvision's weights; one Parquet "
                + "row per image (path, top_classes, top_labels, top_probabilities, error)."})
final class ClassifyJob implements Callable<Integer> {
    @Option(names = "--weights", required = true, paramLabel = "FILE",
            description = "MobileNetV2 state dict (.pth/.pt or .safetensors) on the driver's disk.")
    Path weights;

    @Option(names = "--width", defaultValue = "1.0",
            description = "Width multiplier the weights were trained with (default ${DEFAULT-VALUE}).")
    double width;

    @Option(names = "--top", defaultValue = "5", description = "Classes per image (default ${DEFAULT-VALUE}).")
    int top;

    @Mixin
    ImageJobOptions images;

    @Mixin
    DecodeLimitsOption decodeLimits;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SparkSession spark = SparkMain.session("classify");
        SparkClassifier classifier = new SparkClassifier(spark, weights, width, top).withBatchSize(images.batchSize)
                .withDecodeLimits(decodeLimits.limits());
        return images.write(spark, classifier.classify(images.read(spark)), spec.commandLine().getOut());
    }
}
