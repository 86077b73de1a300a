package dev.depthwise.nn.inference;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrapLimitAdviceTest {
    @Test
    void advisesTheFlagOnlyWhereTheLimitIsLowOnAnOlderJdk() {
        String advice = TrapLimitAdvice.advice(17, 100);
        assertTrue(advice != null && advice.contains("-XX:PerMethodTrapLimit=1000") && advice.contains("JDK 17"),
                String.valueOf(advice));
        assertNull(TrapLimitAdvice.advice(17, 1000), "the flag is already there");
        assertNull(TrapLimitAdvice.advice(25, 100), "Temurin 25 did not need it");
        assertNull(TrapLimitAdvice.advice(17, -1), "not HotSpot: no such flag");
    }
}
