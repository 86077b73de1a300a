package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleTest {
    /** A two-level tree like torchvision's: a named Sequential child holding convs. */
    static final class Net extends Module {
        final Sequential features = addModule("features", new Sequential(
                new Conv2d(3, 8, 3, 2, 1, 1, false),
                new Sequential(new Conv2d(8, 8, 3, 1, 1, 8, false), new Identity())));
        final Conv2d head = addModule("head", new Conv2d(8, 2, 1, 1, 0, 1, true));

        @Override
        protected Tensor computeForward(Tensor x) {
            return head.forward(features.forward(x));
        }

        @Override
        protected Tensor computeBackward(Tensor g) {
            return features.backward(head.backward(g));
        }
    }

    @Test
    void layersPrintAsPyTorch() {
        assertEquals("Conv2d(3, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)",
                new Conv2d(3, 32, 3, 2, 1, 1, false).toString());
        assertEquals("Conv2d(32, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=32, bias=False)",
                new Conv2d(32, 32, 3, 1, 1, 32, false).toString());
        assertEquals("Conv2d(32, 16, kernel_size=(1, 1), stride=(1, 1), bias=False)",
                Conv2d.noBias(32, 16, 1, 1, 0).toString());
        assertEquals("Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
                new Conv2d(3, 4, 3, 1, 1, 1, true).toString());
        assertEquals("Flatten(start_dim=1, end_dim=-1)", new Flatten().toString());
        assertEquals("Identity()", new Identity().toString());
        assertEquals("Sequential()", new Sequential().toString());
    }

    @Test
    void treePrintsWithPyTorchIndentation() {
        String expected = String.join("\n",
                "Net(",
                "  (features): Sequential(",
                "    (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)",
                "    (1): Sequential(",
                "      (0): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=8, bias=False)",
                "      (1): Identity()",
                "    )",
                "  )",
                "  (head): Conv2d(8, 2, kernel_size=(1, 1), stride=(1, 1))",
                ")");
        assertEquals(expected, new Net().toString());
    }

    @Test
    void keysFollowTheTreeInPyTorchOrder() {
        Net net = new Net();
        assertEquals(List.of("features.0.weight", "features.1.0.weight", "head.weight", "head.bias"),
                List.copyOf(net.namedParameters().keySet()));
        assertEquals(List.copyOf(net.namedParameters().keySet()), List.copyOf(net.stateDict().keySet()));
        assertEquals(List.of("", "features", "features.0", "features.1", "features.1.0", "features.1.1", "head"),
                List.copyOf(net.namedModules().keySet()));
        assertEquals(8 * 3 * 9 + 8 * 9 + 2 * 8 + 2, net.parameterCount());
        assertSame(net.head.weight().value(), net.stateDict().get("head.weight"));
    }

    @Test
    void trainAndEvalPropagate() {
        Net net = new Net();
        assertTrue(net.isTraining());
        net.eval();
        net.namedModules().values().forEach(m -> assertFalse(m.isTraining()));
        net.train(true);
        net.namedModules().values().forEach(m -> assertTrue(m.isTraining()));
    }

    @Test
    void loadStateDictCopiesValues() {
        Net a = new Net();
        a.resetParameters(new SplittableRandom(1));
        Net b = new Net();
        b.loadStateDict(a.stateDict(), true);
        a.stateDict().forEach((k, t) -> assertArrayEquals(t.data(), b.stateDict().get(k).data(), 0f, k));
    }

    @Test
    void loadStateDictListsEveryProblemAtOnce() {
        Net net = new Net();
        Map<String, Tensor> state = new LinkedHashMap<>(net.stateDict());
        state.remove("head.bias");
        state.remove("features.0.weight");
        state.put("head.weight", Tensor.zeros(3, 8, 1, 1));
        state.put("classifier.weight", Tensor.zeros(1));
        StateDictException e = assertThrows(StateDictException.class, () -> net.loadStateDict(state, true));
        assertEquals(List.of("features.0.weight", "head.bias"), e.missingKeys());
        assertEquals(List.of("classifier.weight"), e.unexpectedKeys());
        assertEquals(1, e.mismatchedKeys().size());
        assertTrue(e.getMessage().contains("head.weight: checkpoint [3, 8, 1, 1], model [2, 8, 1, 1]"), e.getMessage());
        assertTrue(e.getMessage().contains("Missing key(s) (2): features.0.weight, head.bias"), e.getMessage());
        assertTrue(e.getMessage().contains("Unexpected key(s) (1): classifier.weight"), e.getMessage());

        // Non-strict tolerates missing and unexpected keys but never a wrong shape.
        assertThrows(StateDictException.class, () -> net.loadStateDict(state, false));
        state.put("head.weight", Tensor.full(0.5f, 2, 8, 1, 1));
        net.loadStateDict(state, false);
        assertEquals(0.5f, net.head.weight().value().data()[0]);
    }

    @Test
    void zeroGradClearsAccumulatedGradients() {
        Net net = new Net();
        net.parameters().forEach(p -> p.grad().fill(3f));
        net.zeroGrad();
        net.parameters().forEach(p -> assertEquals(0f, p.grad().data()[0]));
    }

    @Test
    void backwardWithoutTrainingForwardIsAClearError() {
        Conv2d conv = new Conv2d(1, 1, 3, 1, 1, 1, false);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> conv.backward(Tensor.zeros(1, 1, 4, 4)));
        assertTrue(e.getMessage().contains("Conv2d"));
    }

    @Test
    void convForwardBackwardThroughTheTree() {
        Net net = new Net();
        net.resetParameters(new SplittableRandom(2));
        Tensor x = Tensor.full(0.1f, 2, 3, 8, 8);
        Tensor y = net.forward(x);
        assertArrayEquals(new int[] {2, 2, 4, 4}, y.shape());
        Tensor gx = net.backward(Tensor.full(1f, y.shape()));
        assertArrayEquals(x.shape(), gx.shape());
        assertEquals(2 * 4 * 4, net.head.bias().grad().data()[0], 1e-4);
    }
}
