package dev.depthwise.train;

import dev.depthwise.data.ImageNetPreprocessing;
import dev.depthwise.data.RgbImage;
import dev.depthwise.engine.Tensor;
import dev.depthwise.io.WeightFiles;
import dev.depthwise.models.Classification;
import dev.depthwise.models.ImageNetClasses;
import dev.depthwise.models.MobileNetV2;
import dev.depthwise.nn.StateDictException;
import dev.depthwise.nn.inference.Predictor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Classifies images with MobileNetV2 and a state dict of torchvision's keys (ImageNet labels when it has 1000
 * classes), preprocessed as torchvision does: shorter side to 256, centre crop 224, ImageNet mean and std.
 * What {@code classify}, the server and the Spark job share. Not thread-safe.
 */
public final class Classifier {
    private final Predictor predictor;
    private final List<String> labels;

    public Classifier(MobileNetV2 model) {
        this.predictor = new Predictor(model);
        this.labels = model.classes() == ImageNetClasses.COUNT ? ImageNetClasses.names() : null;
    }

    /** A classifier for MobileNetV2 weights (a torch.save .pth/.pt or .safetensors state dict) of the given width. */
    public static Classifier fromWeights(Path weights, double width) throws IOException {
        Map<String, Tensor> state = WeightFiles.readStateDict(weights);
        Tensor classifier = state.get("classifier.1.weight");
        if (classifier == null || classifier.rank() != 2) {
            throw new IllegalArgumentException(weights + ": not a MobileNetV2 state dict (no 2-D classifier.1.weight)");
        }
        MobileNetV2 model = new MobileNetV2(classifier.dim(0), width, 0.2f, 0);
        try {
            model.loadStateDict(state, true);
        } catch (StateDictException e) {
            if (e.missingKeys().isEmpty() && e.unexpectedKeys().isEmpty()) {
                // Every key is there but the channel counts differ: the width, not a foreign model. One line will do.
                throw new IllegalArgumentException(weights + ": " + e.mismatchedKeys().size() + " tensors do not fit "
                        + "MobileNetV2 with width " + width + ", the first " + e.mismatchedKeys().get(0)
                        + "; pass the width the weights were trained with (--width)", e);
            }
            throw new IllegalArgumentException(weights + ": not MobileNetV2 weights: " + e.getMessage(), e);
        }
        return new Classifier(model);
    }

    /** The {@code top} most probable classes of one image, best first. */
    public List<Classification.Score> classify(RgbImage image, int top) {
        return classifyAll(List.of(image), top).get(0);
    }

    /** As {@link #classify} for each image, in forward passes of several images as a segmenter's. */
    public List<List<Classification.Score>> classifyAll(List<RgbImage> images, int top) {
        List<List<Classification.Score>> out = new ArrayList<>(images.size());
        for (int from = 0; from < images.size(); ) {
            int n = Segmenter.passSize(images.size() - from);
            out.addAll(classifyPass(images.subList(from, from + n), top));
            from += n;
        }
        return out;
    }

    private List<List<Classification.Score>> classifyPass(List<RgbImage> images, int top) {
        int n = images.size();
        int crop = ImageNetPreprocessing.CROP;
        int one = 3 * crop * crop;
        Tensor x = Tensor.zeros(n, 3, crop, crop);
        for (int i = 0; i < n; i++) {
            System.arraycopy(ImageNetPreprocessing.apply(images.get(i)).data(), 0, x.data(), i * one, one);
        }
        Tensor logits = predictor.forward(x);
        int classes = logits.size() / n;
        List<List<Classification.Score>> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Tensor row = Tensor.zeros(1, classes);
            System.arraycopy(logits.data(), i * classes, row.data(), 0, classes);
            out.add(Classification.top(row, top, labels));
        }
        return out;
    }
}
