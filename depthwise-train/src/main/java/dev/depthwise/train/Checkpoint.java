package dev.depthwise.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.depthwise.engine.Tensor;
import dev.depthwise.io.AtomicFiles;
import dev.depthwise.io.SafeTensors;
import dev.depthwise.io.WeightFiles;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.StateDictException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training checkpoint: one safetensors file holding the model's state dict under its PyTorch keys, the
 * optimiser's state under {@code optimizer.SLOT.KEY}, and the {@link CheckpointInfo} JSON in the header's
 * metadata (key {@value #METADATA_KEY}); plus a copy of that JSON beside it. Python reads it with
 * {@code safetensors.torch.load_file(path)}; the model weights are the keys without the
 * {@code optimizer.} prefix.
 *
 * <p>Both files are written atomically (temporary file, fsync, rename). The safetensors file is the
 * source of truth: it alone is read back, so a crash between the two writes loses nothing.
 */
public final class Checkpoint {
    public static final String OPTIMIZER_PREFIX = "optimizer.";
    public static final String METADATA_KEY = "depthwise";

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What a checkpoint file holds. */
    public record Contents(Path file, CheckpointInfo info, Map<String, Tensor> weights,
                           Map<String, Tensor> optimizerState) {
        /** The model the checkpoint's weights belong to, built from its spec, weights loaded, in eval mode. */
        public Module model() {
            Module model = Models.create(ModelSpec.fromMap(info.config().model()));
            loadWeightsInto(model);
            model.eval();
            return model;
        }

        /** Loads the weights (strictly); a mismatch names this file, since the key lists alone do not. */
        public void loadWeightsInto(Module model) {
            try {
                model.loadStateDict(weights, true);
            } catch (StateDictException e) {
                throw new IllegalArgumentException(file + ": the weights do not fit the checkpoint's model '"
                        + info.config().model().get("name") + "': " + e.getMessage(), e);
            }
        }
    }

    private Checkpoint() {
    }

    /** Writes {@code file} (.safetensors) and its {@code .json} sidecar. */
    public static void save(Path file, Module model, Optimizer optimizer, CheckpointInfo info) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>(model.stateDict());
        if (optimizer != null) {
            optimizer.state().forEach((k, t) -> tensors.put(OPTIMIZER_PREFIX + k, t));
        }
        String json = toJson(info);
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put(METADATA_KEY, json);
        SafeTensors.write(file, tensors, metadata);
        AtomicFiles.write(sidecar(file), json.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a checkpoint written by {@link #save}; a file that is not one gives a clear IOException. */
    public static Contents read(Path file) throws IOException {
        SafeTensors.Contents contents = SafeTensors.read(file);
        String json = contents.metadata().get(METADATA_KEY);
        if (json == null) {
            throw new IOException(file + ": a safetensors file but not a depthwise checkpoint (no '"
                    + METADATA_KEY + "' metadata)");
        }
        CheckpointInfo info;
        try {
            info = JSON.readValue(json, CheckpointInfo.class);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": unreadable checkpoint metadata: " + e.getOriginalMessage(), e);
        }
        if (!CheckpointInfo.FORMAT.equals(info.format())) {
            throw new IOException(file + ": checkpoint format '" + info.format() + "', expected '"
                    + CheckpointInfo.FORMAT + "'");
        }
        Map<String, Tensor> weights = new LinkedHashMap<>();
        Map<String, Tensor> optimizerState = new LinkedHashMap<>();
        contents.tensors().forEach((k, t) -> {
            if (k.startsWith(OPTIMIZER_PREFIX)) {
                optimizerState.put(k.substring(OPTIMIZER_PREFIX.length()), t);
            } else {
                weights.put(k, t);
            }
        });
        WeightFiles.requireFinite(file, weights);
        return new Contents(file, info, weights, optimizerState);
    }

    /** The JSON file written beside a checkpoint. */
    public static Path sidecar(Path file) {
        String name = file.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return file.resolveSibling(stem + ".json");
    }

    static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }
}
