package dev.depthwise.data;

import dev.depthwise.engine.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Decodes, resizes and augments samples on its own background threads, a bounded number of batches
 * ahead of the training step.
 *
 * <p>Repeatable regardless of thread timing: the epoch's order comes from (seed, epoch), each sample's
 * random draw from (seed, epoch, sample index), and batches are handed out in order. A bad file is
 * reported once to {@link SkippedFiles} and left out of its batch (which is then smaller); the run goes on.
 *
 * <p>The loader's threads are its own, not the engine's {@code Parallel} pool, so decoding never competes
 * for the pool's queue with the training step's kernels. Close the loader to stop them.
 */
public final class PetLoader implements AutoCloseable {
    private final List<SampleFiles> entries;
    private final MaskReader masks;
    private final LoaderOptions options;
    private final SkippedFiles skipped;
    private final ExecutorService executor;
    /** Resized samples by entry index when caching; a bad file is remembered as {@link #BAD} either way. */
    private final AtomicReferenceArray<Prepared> prepared;

    private static final Prepared BAD = new Prepared(null, null, 0, 0);

    /** A loader of Oxford-IIIT Pet entries (trimap masks). */
    public PetLoader(List<PetEntry> entries, LoaderOptions options, SkippedFiles skipped) {
        this(entries.stream().map(e -> new SampleFiles(e.name(), e.image(), e.trimap())).toList(),
                ImageDecoder::readTrimap, options, skipped);
    }

    /** A loader of any layout's samples, masks read by {@code masks} ({@link Dataset#loader} gives one). */
    public PetLoader(List<SampleFiles> entries, MaskReader masks, LoaderOptions options, SkippedFiles skipped) {
        this.entries = List.copyOf(entries);
        this.masks = masks;
        this.options = options;
        this.skipped = skipped;
        this.prepared = new AtomicReferenceArray<>(this.entries.size());
        AtomicInteger counter = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(options.threads(), r -> {
            Thread t = new Thread(r, "depthwise-loader-" + counter.incrementAndGet());
            t.setDaemon(true); // an abandoned loader never keeps the JVM alive
            return t;
        });
    }

    public int size() {
        return entries.size();
    }

    public LoaderOptions options() {
        return options;
    }

    /** Batches per epoch (fewer only if every sample of a batch is a bad file). */
    public int batchesPerEpoch() {
        int n = entries.size();
        int b = options.batchSize();
        return options.dropLast() ? n / b : (n + b - 1) / b;
    }

    /** One training epoch: shuffled by (seed, epoch), augmented. */
    public Iterable<Batch> epoch(int epoch) {
        int[] order = shuffledOrder(epoch);
        return () -> new Prefetcher<>(chunks(order, options.dropLast()), idx -> assemble(idx, epoch, true).batch(), Batch::size);
    }

    /** The samples in list order, not augmented, with their original sizes; never drops a last partial batch. */
    public Iterable<EvalBatch> evaluation() {
        int[] order = new int[entries.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        return () -> new Prefetcher<>(chunks(order, false), idx -> assemble(idx, 0, false), b -> b.batch().size());
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    int[] shuffledOrder(int epoch) {
        int[] order = new int[entries.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(mix(options.seed(), epoch, -1));
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private List<int[]> chunks(int[] order, boolean dropLast) {
        List<int[]> chunks = new ArrayList<>();
        int b = options.batchSize();
        for (int from = 0; from < order.length; from += b) {
            int to = Math.min(order.length, from + b);
            if (to - from < b && dropLast) {
                break;
            }
            int[] chunk = new int[to - from];
            System.arraycopy(order, from, chunk, 0, chunk.length);
            chunks.add(chunk);
        }
        return chunks;
    }

    private EvalBatch assemble(int[] indices, int epoch, boolean augment) {
        List<Prepared> samples = new ArrayList<>(indices.length);
        List<Integer> kept = new ArrayList<>(indices.length);
        for (int index : indices) {
            Prepared p = prepare(index);
            if (p != BAD) {
                samples.add(p);
                kept.add(index);
            }
        }
        int s = options.size();
        int plane = s * s;
        int n = samples.size();
        float[] images = new float[n * 3 * plane];
        int[] masks = new int[n * plane];
        List<String> names = new ArrayList<>(n);
        List<EvalBatch.ImageSize> sizes = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            Prepared p = samples.get(k);
            RgbImage image = p.image();
            Mask mask = p.mask();
            Augmentation.Choice choice = null;
            if (augment) {
                choice = options.augmentation().draw(new SplittableRandom(mix(options.seed(), epoch, kept.get(k))));
                if (choice.flip()) {
                    image = Transforms.flipHorizontal(image);
                    mask = Transforms.flipHorizontal(mask);
                }
                if (choice.affine()) {
                    image = Transforms.affine(image, choice);
                    mask = Transforms.affine(mask, choice);
                }
            }
            int at = k * 3 * plane;
            Transforms.toChw(image, images, at);
            if (choice != null) {
                if (choice.brightnessFactor() != 1f) {
                    Transforms.adjustBrightness(images, at, plane, choice.brightnessFactor());
                }
                if (choice.contrastFactor() != 1f) {
                    Transforms.adjustContrast(images, at, plane, choice.contrastFactor());
                }
                if (choice.saturationFactor() != 1f) {
                    Transforms.adjustSaturation(images, at, plane, choice.saturationFactor());
                }
            }
            Transforms.toClasses(mask, masks, k * plane);
            names.add(entries.get(kept.get(k)).name());
            sizes.add(new EvalBatch.ImageSize(p.originalWidth(), p.originalHeight()));
        }
        return new EvalBatch(new Batch(new Tensor(images, n, 3, s, s), masks, names), sizes);
    }

    /** The resized sample at {@code index}, or {@link #BAD}; decodes unless cached. */
    private Prepared prepare(int index) {
        Prepared cached = prepared.get(index);
        if (cached != null) {
            return cached;
        }
        Prepared p;
        try {
            PetSample sample = PetSample.load(entries.get(index), masks, options.decodeLimits(), skipped);
            int s = options.size();
            p = new Prepared(Transforms.resize(sample.image(), s, s, options.interpolation()),
                    Transforms.resize(sample.mask(), s, s), sample.image().width(), sample.image().height());
        } catch (BadFileException e) {
            skipped.report(e);
            p = BAD;
        }
        if (options.cache() || p == BAD) {
            prepared.set(index, p);
        }
        return p;
    }

    /** A well-mixed seed for (seed, epoch, index): SplitMix64's finaliser applied twice. */
    static long mix(long seed, long epoch, long index) {
        return mix64(mix64(seed ^ mix64(epoch + 0x9E3779B97F4A7C15L)) + index);
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private record Prepared(RgbImage image, Mask mask, int originalWidth, int originalHeight) {
    }

    /** Keeps up to {@code prefetch} batches in flight on the executor and hands them out in order. */
    private final class Prefetcher<T> implements Iterator<T> {
        private final Iterator<int[]> pending;
        private final Function<int[], T> task;
        private final ToIntFunction<T> sizeOf;
        private final ArrayDeque<Future<T>> inFlight = new ArrayDeque<>();
        private T next;

        Prefetcher(List<int[]> chunks, Function<int[], T> task, ToIntFunction<T> sizeOf) {
            this.pending = chunks.iterator();
            this.task = task;
            this.sizeOf = sizeOf;
            fill();
        }

        private void fill() {
            while (inFlight.size() < options.prefetch() && pending.hasNext()) {
                int[] chunk = pending.next();
                inFlight.add(executor.submit(() -> task.apply(chunk)));
            }
        }

        @Override
        public boolean hasNext() {
            while (next == null && !inFlight.isEmpty()) {
                T candidate = await(inFlight.poll());
                fill();
                if (sizeOf.applyAsInt(candidate) > 0) { // a batch of only bad files is skipped
                    next = candidate;
                }
            }
            return next != null;
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            T result = next;
            next = null;
            return result;
        }

        private T await(Future<T> f) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the data loader", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("data loader failed: " + cause, cause);
            }
        }
    }
}
