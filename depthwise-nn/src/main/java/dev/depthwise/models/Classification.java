package dev.depthwise.models;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.LossOp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** Turning a classifier's logits into the most probable classes. */
public final class Classification {
    /** One class: its index in the classifier output, its label, and its softmax probability. */
    public record Score(int index, String label, float probability) {
    }

    private Classification() {
    }

    /**
     * The {@code k} most probable classes of one image's logits ({@code [1, C]} or {@code [C]}), best first.
     * {@code labels} names the classes; null or too short gives "class N".
     */
    public static List<Score> top(Tensor logits, int k, List<String> labels) {
        int classes = logits.size();
        if (k < 1) {
            throw new IllegalArgumentException("Classification.top: k must be at least 1, got " + k);
        }
        if (logits.rank() > 2 || (logits.rank() == 2 && logits.dim(0) != 1)) {
            throw new IllegalArgumentException("Classification.top: expected the logits of one image, [1, C] or [C], got "
                    + logits.shapeString());
        }
        Tensor row = logits.reshape(1, classes);
        Tensor probs = Tensor.zeros(1, classes);
        LossOp.softmax(row, probs);
        float[] p = probs.data();
        List<Score> out = new ArrayList<>();
        IntStream.range(0, classes).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -p[i]).thenComparingInt(i -> i))
                .limit(Math.max(0, k))
                .forEach(i -> out.add(new Score(i, labels != null && i < labels.size() ? labels.get(i) : "class " + i, p[i])));
        return out;
    }
}
