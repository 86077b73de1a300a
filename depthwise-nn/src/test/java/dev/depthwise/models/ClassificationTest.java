package dev.depthwise.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.depthwise.engine.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClassificationTest {
    @Test
    void imageNetNamesAreInTorchvisionOrder() {
        List<String> names = ImageNetClasses.names();
        assertEquals(1000, names.size());
        assertEquals("tench", names.get(0));
        assertEquals("golden retriever", names.get(207));
        assertEquals("toilet tissue", names.get(999));
    }

    @Test
    void topClassesAreSortedSoftmaxProbabilities() {
        Tensor logits = new Tensor(new float[] {1f, 3f, 2f, 3f}, 1, 4);
        List<Classification.Score> top = Classification.top(logits, 3, List.of("a", "b", "c"));
        double z = Math.exp(1) + 2 * Math.exp(3) + Math.exp(2);
        assertEquals(List.of(1, 3, 2), top.stream().map(Classification.Score::index).toList(), "ties keep index order");
        assertEquals(List.of("b", "class 3", "c"), top.stream().map(Classification.Score::label).toList());
        assertEquals(Math.exp(3) / z, top.get(0).probability(), 1e-6);
        assertEquals(Math.exp(2) / z, top.get(2).probability(), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> Classification.top(Tensor.zeros(2, 4), 1, null));
        for (int k : new int[] {0, -1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Classification.top(Tensor.zeros(1, 4), k, null));
            assertEquals("Classification.top: k must be at least 1, got " + k, e.getMessage());
        }
    }
}
