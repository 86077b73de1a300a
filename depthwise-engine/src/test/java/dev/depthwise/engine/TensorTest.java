package dev.depthwise.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorTest {
    @Test
    void aViewIsThePrefixOfALongerArray() {
        float[] array = {1, 2, 3, 4, 5, 6, 7, 8};
        Tensor v = Tensor.view(array, 2, 3);
        assertEquals(6, v.size());
        assertSame(array, v.data());
        assertEquals(6f, v.get(1, 2));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, v.copy().data()); // a copy owns an exact array
        v.fill(0f);
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, 7, 8}, array); // past the view: untouched
        Tensor exact = Tensor.full(9f, 3, 2);
        v.copyFrom(exact);
        assertArrayEquals(new float[] {9, 9, 9, 9, 9, 9, 7, 8}, array);
        exact.copyFrom(v);
        assertEquals(6, v.reshape(6).size());
        assertSame(array, v.reshape(3, 2).data());
    }

    @Test
    void sizesThatDoNotFitAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Tensor(new float[8], 2, 3)); // exact only
        assertThrows(IllegalArgumentException.class, () -> Tensor.view(new float[5], 2, 3));
        Tensor v = Tensor.view(new float[8], 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.reshape(8));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> v.copyFrom(Tensor.zeros(8)));
    }
}
