package dev.depthwise.io;

import dev.depthwise.engine.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Reads a state dict from either format we accept, told apart by content rather than by file name. */
public final class WeightFiles {
    private WeightFiles() {
    }

    /**
     * The tensors of a PyTorch checkpoint (zip; a legacy pickle is refused with advice) or of a
     * safetensors file (its JSON header starts at byte 8), in file order.
     */
    public static Map<String, Tensor> readStateDict(Path file) throws IOException {
        WeightFileException.requireRegularFile(file);
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(9);
        }
        boolean zip = head.length >= 2 && head[0] == 'P' && head[1] == 'K';
        boolean pickle = head.length >= 1 && (head[0] & 0xff) == 0x80;
        Map<String, Tensor> tensors;
        if (zip || (pickle && !(head.length == 9 && head[8] == '{'))) {
            tensors = PyTorchWeights.read(file);
        } else if (head.length == 9 && head[8] == '{') {
            tensors = SafeTensors.read(file).tensors();
        } else {
            throw new WeightFileException(file, "is neither a PyTorch checkpoint (a torch.save zip archive) "
                    + "nor a safetensors file");
        }
        requireFinite(file, tensors);
        return tensors;
    }

    /**
     * Fails, saying how many values are NaN or infinite and where the first is, when any weight is: a model with
     * them gives meaningless outputs without any error (a diverged run's checkpoint, a corrupted file).
     */
    public static void requireFinite(Path file, Map<String, Tensor> weights) throws WeightFileException {
        long bad = 0;
        long total = 0;
        String first = null;
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            float[] values = e.getValue().data();
            total += values.length;
            for (float v : values) {
                if (!Float.isFinite(v)) {
                    bad++;
                    if (first == null) {
                        first = e.getKey();
                    }
                }
            }
        }
        if (bad > 0) {
            throw new WeightFileException(file, bad + " of " + total + " weights are NaN or infinite (the first in "
                    + first + "); the run that wrote it diverged, or the file is corrupt");
        }
    }
}
