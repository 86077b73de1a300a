package dev.depthwise.engine.op;

import jdk.incubator.vector.FloatVector;

/**
 * The one place that chooses the shapes of the register tiles ({@link GemmTiles} for {@link Gemm}, {@link ConvTiles}
 * for {@link BlockedConv}), once per JVM, from the vector registers the machine has and the JIT that compiles them.
 * A tile's accumulators, its operand vectors and the broadcasts C2 keeps live at once must fit in the registers, or
 * C2 spills an accumulator to the stack inside the loop and the tile runs at half speed (docs/jvm-notes.md):
 * <ul>
 *   <li>512-bit vectors (AVX-512: 32 registers): GEMM 8 rows, conv 6 pixels of a block pair.</li>
 *   <li>256- or 128-bit vectors (16 registers) on JDK 17, whose C2 loads each broadcast just before its FMAs:
 *       GEMM 6 rows (12 accumulators), conv 5 pixels (10).</li>
 *   <li>the same on a newer JDK, whose C2 (seen on 25) loads all of a pass's broadcasts before its first FMA, so
 *       that 6 rows or 5 pixels need 17 registers: GEMM 5 rows, conv 4 pixels. JDKs 18 to 24 were not measured;
 *       they get the smaller tiles because a spilling tile loses half its speed and an unneeded smaller one about
 *       a seventh.</li>
 * </ul>
 * Chosen by the Java feature version rather than by timing both tiles at start-up: warming a tile into C2 takes
 * seconds of interpreted vector code, and a timing would be noisy on a loaded machine and so differ from run to run
 * (the shapes also steer a few algorithm choices, such as {@code FusedConv.FEW_OUTPUTS}).
 */
public final class RegisterTiles {
    /** With 512-bit vectors x86 has 32 vector registers; with 256 or 128 bits, 16. */
    private static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    /** Whether this JVM's C2 loads a loop pass's broadcasts early (any JDK after 17; seen on 25). */
    private static final boolean EARLY_BROADCASTS = Runtime.version().feature() > 17;

    /** Rows of Gemm's register tile ({@link Gemm#MR}); a generated {@code GemmTiles.rowsN} exists for each. */
    static final int GEMM_ROWS = WIDE ? 8 : EARLY_BROADCASTS ? 5 : 6;
    /** Pixels of BlockedConv's tile of a block pair ({@code BlockedConv.TILE}); generated as {@code ConvTiles}. */
    static final int CONV_PIXELS = WIDE ? 6 : EARLY_BROADCASTS ? 4 : 5;

    private RegisterTiles() {
    }

    /** One line for a benchmark's header: which tiles this JVM runs, and why. */
    public static String inUse() {
        return "GEMM " + GEMM_ROWS + " rows x 2 vectors, conv " + CONV_PIXELS + " pixels x 2 blocks ("
                + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors, " + (WIDE ? 32 : 16)
                + " registers, JDK " + Runtime.version().feature() + ")";
    }
}
