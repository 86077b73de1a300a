package dev.depthwise.data;

/**
 * How a {@link PetLoader} prepares batches.
 *
 * @param size          images and masks are resized to size x size
 * @param batchSize     samples per batch
 * @param interpolation image resize (masks are always nearest)
 * @param augmentation  applied by {@link PetLoader#epoch(int)}; evaluation never augments
 * @param seed          with the epoch and sample index, fixes every shuffle and random draw
 * @param threads       background decoding threads (the loader's own, not the engine's pool)
 * @param prefetch      batches prepared ahead of the consumer (the bound on memory used ahead)
 * @param cache         keep decoded, resized 8-bit samples in memory after first use
 *                      (3,680 samples at 128x128 take about 240 MB)
 * @param dropLast      drop an incomplete last batch (as PyTorch's {@code drop_last})
 * @param decodeLimits  what an image or mask may declare before it is decoded (the pixel limit)
 */
public record LoaderOptions(int size, int batchSize, Interpolation interpolation, Augmentation augmentation,
                            long seed, int threads, int prefetch, boolean cache, boolean dropLast,
                            DecodeLimits decodeLimits) {
    public LoaderOptions {
        java.util.Objects.requireNonNull(decodeLimits, "decodeLimits");
        if (size < 1 || batchSize < 1 || threads < 1 || prefetch < 1) {
            throw new IllegalArgumentException("loader options: size " + size + ", batch size " + batchSize
                    + ", threads " + threads + " and prefetch " + prefetch + " must all be >= 1");
        }
    }

    /** The article's setup: nearest resize, flip 0.5 and contrast 0.3, two threads, cache on. */
    public static LoaderOptions of(int size, int batchSize, long seed) {
        return new LoaderOptions(size, batchSize, Interpolation.NEAREST, Augmentation.ARTICLE, seed, 2, 4, true, false, DecodeLimits.DEFAULT);
    }

    public LoaderOptions withInterpolation(Interpolation value) {
        return new LoaderOptions(size, batchSize, value, augmentation, seed, threads, prefetch, cache, dropLast, decodeLimits);
    }

    public LoaderOptions withAugmentation(Augmentation value) {
        return new LoaderOptions(size, batchSize, interpolation, value, seed, threads, prefetch, cache, dropLast, decodeLimits);
    }

    public LoaderOptions withThreads(int value) {
        return new LoaderOptions(size, batchSize, interpolation, augmentation, seed, value, prefetch, cache, dropLast, decodeLimits);
    }

    public LoaderOptions withPrefetch(int value) {
        return new LoaderOptions(size, batchSize, interpolation, augmentation, seed, threads, value, cache, dropLast, decodeLimits);
    }

    public LoaderOptions withCache(boolean value) {
        return new LoaderOptions(size, batchSize, interpolation, augmentation, seed, threads, prefetch, value, dropLast, decodeLimits);
    }

    public LoaderOptions withDecodeLimits(DecodeLimits value) {
        return new LoaderOptions(size, batchSize, interpolation, augmentation, seed, threads, prefetch, cache, dropLast, value);
    }

    public LoaderOptions withDropLast(boolean value) {
        return new LoaderOptions(size, batchSize, interpolation, augmentation, seed, threads, prefetch, cache, value, decodeLimits);
    }
}
