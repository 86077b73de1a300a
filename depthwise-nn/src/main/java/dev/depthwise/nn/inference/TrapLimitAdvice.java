package dev.depthwise.nn.inference;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one JVM flag a plan may need, said once per JVM: on JDK 17, a plan compiled after other vector work (training,
 * or a model's unplanned forward pass in eval mode) can have its kernels compiled boxing every vector, unless
 * {@code -XX:PerMethodTrapLimit} is raised (docs/jvm-notes.md, "A JVM's history"). Temurin 25 did not need it; JDKs
 * between were not checked, so they get the advice too.
 */
final class TrapLimitAdvice {
    /** The limit {@code bin/depthwise} passes, ten times HotSpot's default. */
    static final int ENOUGH = 1000;
    private static final int FIRST_JDK_WITHOUT_THE_PROBLEM = 25;
    private static final AtomicBoolean SAID = new AtomicBoolean();

    private TrapLimitAdvice() {
    }

    static void sayOnce() {
        if (SAID.getAndSet(true)) {
            return;
        }
        String advice = advice(Runtime.version().feature(), currentLimit());
        if (advice != null) {
            System.err.println(advice);
        }
    }

    /** The line to print on JDK {@code jdk} with this PerMethodTrapLimit (-1: none), or null when none is needed. */
    static String advice(int jdk, long limit) {
        if (jdk >= FIRST_JDK_WITHOUT_THE_PROBLEM || limit < 0 || limit >= ENOUGH) {
            return null;
        }
        return "depthwise: on JDK " + jdk + ", a plan compiled after other vector work in this JVM can box vectors "
                + "and run slower; -XX:PerMethodTrapLimit=" + ENOUGH + " prevents it (docs/jvm-notes.md, \"A JVM's "
                + "history\")";
    }

    /** The JVM's PerMethodTrapLimit, or -1 where the JVM has no such flag (not HotSpot). */
    private static long currentLimit() {
        try {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hotspot == null ? -1 : Long.parseLong(hotspot.getVMOption("PerMethodTrapLimit").getValue());
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }
}
