package dev.depthwise.spark;

import dev.depthwise.data.DecodeLimits;
import dev.depthwise.train.ClassifierOptions;
import dev.depthwise.train.DecodeLimitsOption;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code classify}: a folder of images into a Parquet table of their top ImageNet classes. */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = {"Classify every image under --input with MobileNetV2 and torchvision's weights; one Parquet "
                + "row per image (path, top_classes, top_labels, top_probabilities, error). --weights is read on the "
                + "driver's disk."})
final class ClassifyJob implements Callable<Integer> {
    @Mixin
    ClassifierOptions classifierOptions;

    @Mixin
    ImageJobOptions images;

    @Mixin
    DecodeLimitsOption decodeLimits;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // Before Spark starts: a bad option fails at once, in one line.
        ClassifierOptions options = classifierOptions.check();
        DecodeLimits limits = decodeLimits.limits();
        SparkSession spark = SparkMain.session("classify");
        SparkClassifier classifier = new SparkClassifier(spark, options.weights(), options.width(), options.top())
                .withBatchSize(images.batchSize).withDecodeLimits(limits);
        return images.write(spark, classifier.classify(images.read(spark)), spec.commandLine().getOut());
    }
}
