package dev.depthwise.engine.op;

import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.check.GradCheck;
import org.junit.jupiter.api.Test;

import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ElementwiseOpTest {
    @Test
    void addIsElementwiseAndMayRunInPlace() {
        Tensor a = Tensors.gaussian(1, 3, 5, 7, 11);
        Tensor b = Tensors.gaussian(2, 3, 5, 7, 11);
        Tensor out = Tensor.zeros(3, 5, 7, 11);
        ElementwiseOp.add(a, b, out);
        for (int i = 0; i < out.size(); i++) {
            assertTrue(out.data()[i] == a.data()[i] + b.data()[i]);
        }
        ElementwiseOp.add(a, b, a);
        assertArrayEquals(out.data(), a.data());
    }

    @Test
    void concatStacksChannelsPerImageAndSplitUndoesIt() {
        Tensor a = new Tensor(new float[] {1, 2, 3, 4}, 2, 1, 1, 2);
        Tensor b = new Tensor(new float[] {5, 6, 7, 8, 9, 10, 11, 12}, 2, 2, 1, 2);
        Tensor out = Tensor.zeros(2, 3, 1, 2);
        ElementwiseOp.concatChannels(new Tensor[] {a, b}, out);
        assertArrayEquals(new float[] {1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12}, out.data());
        Tensor ga = Tensor.zeros(2, 1, 1, 2);
        Tensor gb = Tensor.zeros(2, 2, 1, 2);
        ElementwiseOp.splitChannels(out, new Tensor[] {ga, gb});
        assertArrayEquals(a.data(), ga.data());
        assertArrayEquals(b.data(), gb.data());
    }

    @Test
    void concatAndAddBackwardMatchFiniteDifferences() {
        Tensor a = Tensors.gaussian(3, 2, 2, 3, 3);
        Tensor b = Tensors.gaussian(4, 2, 3, 3, 3);
        Tensor out = Tensor.zeros(2, 5, 3, 3);
        float[] w = GradCheck.randomWeights(out.size(), 5);
        Tensor ga = Tensor.zeros(a.shape());
        Tensor gb = Tensor.zeros(b.shape());
        ElementwiseOp.splitChannels(new Tensor(w, out.shape()), new Tensor[] {ga, gb});
        DoubleSupplier loss = () -> {
            ElementwiseOp.concatChannels(new Tensor[] {a, b}, out);
            return GradCheck.weightedSum(out.data(), w);
        };
        GradCheck.check("concat a", a.data(), ga.data(), loss, a.size(), 6);
        GradCheck.check("concat b", b.data(), gb.data(), loss, b.size(), 7);

        // add passes gradOut to both inputs unchanged
        Tensor sum = Tensor.zeros(a.shape());
        Tensor other = Tensors.gaussian(8, a.shape());
        float[] ws = GradCheck.randomWeights(a.size(), 9);
        GradCheck.check("add", a.data(), ws, () -> {
            ElementwiseOp.add(a, other, sum);
            return GradCheck.weightedSum(sum.data(), ws);
        }, a.size(), 10);
    }

    @Test
    void rejectsMismatchedShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ElementwiseOp.add(Tensor.zeros(1, 2, 3, 3), Tensor.zeros(1, 2, 3, 4), Tensor.zeros(1, 2, 3, 3)));
        assertTrue(e.getMessage().contains("ElementwiseOp.add") && e.getMessage().contains("[1, 2, 3, 4]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ElementwiseOp.concatChannels(
                new Tensor[] {Tensor.zeros(1, 2, 3, 3), Tensor.zeros(1, 2, 4, 3)}, Tensor.zeros(1, 4, 3, 3)));
        assertTrue(e.getMessage().contains("[1, 2, 4, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ElementwiseOp.concatChannels(
                new Tensor[] {Tensor.zeros(1, 2, 3, 3), Tensor.zeros(1, 2, 3, 3)}, Tensor.zeros(1, 5, 3, 3)));
        assertTrue(e.getMessage().contains("4 channels"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ElementwiseOp.concatChannels(new Tensor[0], Tensor.zeros(1, 5, 3, 3)));
        assertThrows(IllegalArgumentException.class, () -> ElementwiseOp.splitChannels(Tensor.zeros(1, 4, 3, 3),
                new Tensor[] {Tensor.zeros(1, 2, 3, 3), null}));
        assertThrows(IllegalArgumentException.class, () -> ElementwiseOp.splitChannels(Tensor.zeros(2, 4, 3, 3),
                new Tensor[] {Tensor.zeros(1, 4, 3, 3)}));
    }
}
