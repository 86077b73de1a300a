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
        if (zip || (pickle && !(head.length == 9 && head[8] == '{'))) {
            return PyTorchWeights.read(file);
        }
        if (head.length == 9 && head[8] == '{') {
            return SafeTensors.read(file).tensors();
        }
        throw new WeightFileException(file, "is neither a PyTorch checkpoint (a torch.save zip archive) "
                + "nor a safetensors file");
    }
}
