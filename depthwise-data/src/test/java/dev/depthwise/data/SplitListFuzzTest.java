package dev.depthwise.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Oxford-IIIT Pet list reader on any bytes: every line that is not blank or a comment becomes an entry or
 * a skipped line with a reason, and an entry's files stay inside the dataset's folders.
 * Jazzer, as for {@link ImageDecoderFuzzTest}; the seeds are plain list files in {@code SplitListFuzzTestInputs/}.
 */
class SplitListFuzzTest {
    private static final OxfordPets PETS = emptyDataset();

    private static OxfordPets emptyDataset() {
        try {
            Path dir = Files.createTempDirectory("depthwise-list-fuzz");
            TestImages.writeLists(dir, java.util.List.of(), java.util.List.of());
            dir.toFile().deleteOnExit();
            return OxfordPets.open(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void anyListParsesLineByLine(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        Path list = PETS.dir().resolve("annotations/trainval.txt");
        SplitListReader.Result<PetEntry> result = SplitListReader.parse(list, text, PETS::entry);
        // A byte-order mark counts as one only at the start; removing U+FEFF elsewhere could join a \r and a \n
        // into one line break, and miscount (a finding of `scripts/fuzz`, kept in this test's corpus).
        long lines = text.split("\r\n|\r|\n", -1).length;
        if (result.entries().size() + result.skipped().size() > lines) {
            throw new AssertionError(result.entries().size() + " entries and " + result.skipped().size()
                    + " skipped lines from " + lines + " lines");
        }
        for (PetEntry e : result.entries()) {
            if (!e.image().normalize().startsWith(PETS.dir().resolve(OxfordPets.IMAGES))
                    || !e.trimap().normalize().startsWith(PETS.dir().resolve(OxfordPets.TRIMAPS))) {
                throw new AssertionError("entry '" + e.name() + "' reaches outside the dataset: " + e.image());
            }
        }
        for (SplitListReader.SkippedLine s : result.skipped()) {
            if (s.reason() == null || s.reason().isBlank() || s.number() < 1 || s.number() > lines) {
                throw new AssertionError("skipped line without a reason or a line number: " + s);
            }
        }
    }
}
