package dev.depthwise.train;

import java.util.List;

/**
 * A checkpoint's metadata: the run's configuration, how far it got and its history. Stored as JSON inside
 * the safetensors header (so weights and metadata are written in one atomic step and can never disagree)
 * and also beside it as {@code NAME.json} for people and scripts.
 *
 * @param format         {@link #FORMAT}
 * @param config         the run's settings
 * @param epoch          epochs completed; a resumed run starts at this (0-based) epoch
 * @param optimizerSteps optimiser steps taken (Adam's bias correction depends on it)
 * @param history        one record per completed epoch
 */
public record CheckpointInfo(String format, RunConfig config, int epoch, long optimizerSteps,
                             List<EpochRecord> history) {
    public static final String FORMAT = "depthwise-checkpoint-1";

    public CheckpointInfo {
        history = List.copyOf(history);
    }

    /** The last epoch's record, or null before the first epoch ends. */
    public EpochRecord last() {
        return history.isEmpty() ? null : history.get(history.size() - 1);
    }
}
