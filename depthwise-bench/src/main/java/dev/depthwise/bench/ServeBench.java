package dev.depthwise.bench;

import dev.depthwise.data.BadFileException;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.ImageDecoder;
import dev.depthwise.data.PngEncoder;
import dev.depthwise.data.RgbImage;
import dev.depthwise.engine.Parallel;
import dev.depthwise.serve.SegmentServer;
import dev.depthwise.serve.ServeOptions;
import dev.depthwise.train.AlphaMatte;
import dev.depthwise.train.Segmenter;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code bench serve}: a load generator against an in-process server on 127.0.0.1 (nothing else is ever
 * addressed), bounded in requests and time per step. For 1, 4, 16 and 64 concurrent clients it reports throughput
 * and p50/p95/p99 latency with dynamic batching off ({@code --max-batch 1}) and on, beside the time {@code segment}
 * takes for one image in-process. Clients and server share the machine's cores, as on a one-box deployment.
 */
final class ServeBench {
    static final int[] CLIENTS = {1, 4, 16, 64};
    private static final int STAGE_RUNS = 20;
    private static final int STAGE_WARMUP = 5;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Path checkpoint;
    private final Path photo;
    private final int requestsPerStep;
    private final Duration stepLimit;
    private final int maxBatch;
    private final int queue;
    private final int workers;
    private final PrintStream out;

    ServeBench(Path checkpoint, Path photo, int requestsPerStep, Duration stepLimit, int maxBatch, int queue,
               int workers, PrintStream out) {
        this.checkpoint = checkpoint;
        this.photo = photo;
        this.requestsPerStep = requestsPerStep;
        this.stepLimit = stepLimit;
        this.maxBatch = maxBatch;
        this.queue = queue;
        this.workers = workers;
        this.out = out;
    }

    /** One step's outcome: latencies of the answered requests, the statuses seen, the wall time. */
    record Step(int clients, double[] latenciesMs, Map<Integer, Integer> statuses, double seconds, double cpuMillis) {
        double throughput() {
            return latenciesMs.length / seconds;
        }

        double percentile(double p) {
            if (latenciesMs.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.ceil(p / 100 * latenciesMs.length) - 1;
            return latenciesMs[Math.max(0, Math.min(latenciesMs.length - 1, i))];
        }
    }

    void run() throws IOException, InterruptedException {
        byte[] body = Files.readAllBytes(photo);
        RgbImage image;
        try {
            image = ImageDecoder.readPhoto(photo, DecodeLimits.DEFAULT);
        } catch (BadFileException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Segmenter segmenter = Segmenter.fromCheckpoint(checkpoint);
        double single = singleImageMs(segmenter, image);
        out.printf(Locale.ROOT, "photo %s (%dx%d); segment, one image in-process (decoded; segment, soft cut-out, PNG): "
                + "%.1f ms median%n", photo.getFileName(), image.width(), image.height(), single);
        stages(segmenter, body);
        out.printf(Locale.ROOT, "%d requests or %d s per step, whichever comes first; POST /v1/segment?output=cutout; "
                + "queue %d; %d inference worker(s), %d kernel thread(s); CPU ms / request: the whole process's CPU "
                + "time over the step (the load generator's client threads included) per answered request%n%n",
                requestsPerStep, stepLimit.toSeconds(), queue, workers, Parallel.threads());
        out.println("| batching | clients | req/s | p50 ms | p95 ms | p99 ms | p99 / one request | CPU ms / request "
                + "| statuses |");
        out.println("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for (int batch : new int[] {1, maxBatch}) {
            ServeOptions options = new ServeOptions("127.0.0.1", 0, workers, batch, Duration.ofMillis(batch == 1 ? 0 : 5),
                    queue, 64L << 20, ServeOptions.DEFAULT_MAX_PIXELS, Duration.ofSeconds(60),
                    ServeOptions.DEFAULT_UPLOAD_TIMEOUT);
            try (SegmentServer server = SegmentServer.start(segmenter.copy(), null, options)) {
                URI url = server.url().resolve("/v1/segment?output=cutout");
                step(url, body, 1, 10); // warm-up: plans compiled, JIT, connections
                double oneRequest = Double.NaN;
                for (int clients : CLIENTS) {
                    step(url, body, clients, Math.max(clients, 8)); // this concurrency's batch plans
                    Step s = step(url, body, clients, Math.max(requestsPerStep, 2 * clients));
                    if (clients == 1) {
                        oneRequest = s.percentile(50);
                    }
                    out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %s |%n",
                            batch == 1 ? "off" : "up to " + batch, clients, s.throughput(), s.percentile(50),
                            s.percentile(95), s.percentile(99), s.percentile(99) / oneRequest,
                            s.cpuMillis() / s.latenciesMs().length, s.statuses());
                    out.flush();
                }
            }
        }
    }

    /**
     * Where one cut-out request's CPU goes, stage by stage, in process: medians of {@link #STAGE_RUNS} after warm-up.
     * CPU time, not wall time, so that other jobs on the machine change the figures little. Segmenting is counted
     * on every thread (its model runs on the shared pool), the other stages run on the calling thread alone. Then
     * segmenting at batch 1 and at {@code maxBatch}, per image: what dynamic batching can save.
     */
    private void stages(Segmenter segmenter, byte[] body) throws IOException {
        String[] names = {"decode (JPEG bytes to RGB)", "segment (resize, model, upsampling, argmax; all threads)",
                "soft alpha (guided filter)", "cut-out image (alpha into ARGB)", "PNG encoding of the cut-out"};
        long[][] nanos = new long[names.length][STAGE_RUNS];
        for (int run = -STAGE_WARMUP; run < STAGE_RUNS; run++) {
            long[] marks = new long[names.length + 1];
            marks[0] = THREADS.getCurrentThreadCpuTime();
            RgbImage image = decode(body);
            marks[1] = THREADS.getCurrentThreadCpuTime();
            long all = allThreadsCpuNanos();
            Segmenter.Segmentation s = segmenter.segment(image);
            long segmentNanos = allThreadsCpuNanos() - all;
            marks[2] = THREADS.getCurrentThreadCpuTime();
            float[] alpha = segmenter.alphaOf(image, s, AlphaMatte.Mode.SOFT);
            marks[3] = THREADS.getCurrentThreadCpuTime();
            BufferedImage cutout = Segmenter.cutout(image, s, alpha);
            marks[4] = THREADS.getCurrentThreadCpuTime();
            PngEncoder.write(cutout, OutputStream.nullOutputStream());
            marks[5] = THREADS.getCurrentThreadCpuTime();
            if (run >= 0) {
                for (int k = 0; k < names.length; k++) {
                    nanos[k][run] = k == 1 ? segmentNanos : marks[k + 1] - marks[k];
                }
            }
        }
        out.printf(Locale.ROOT, "CPU per stage of one cut-out request, in process, medians of %d:%n%n", STAGE_RUNS);
        out.println("| stage | CPU ms |");
        out.println("|---|---:|");
        double total = 0;
        for (int k = 0; k < names.length; k++) {
            double ms = median(nanos[k]) / 1e6;
            total += ms;
            out.printf(Locale.ROOT, "| %s | %.1f |%n", names[k], ms);
        }
        out.printf(Locale.ROOT, "| sum | %.1f |%n%n", total);
        RgbImage image = decode(body);
        for (int batch : new int[] {1, maxBatch}) {
            List<RgbImage> images = java.util.Collections.nCopies(batch, image);
            int runs = Math.max(4, 2 * STAGE_RUNS / batch);
            long[] perImage = new long[runs];
            for (int run = -STAGE_WARMUP; run < runs; run++) {
                long all = allThreadsCpuNanos();
                segmenter.segmentAll(images);
                if (run >= 0) {
                    perImage[run] = (allThreadsCpuNanos() - all) / batch;
                }
            }
            out.printf(Locale.ROOT, "segment at batch %d: %.1f ms CPU per image (all threads, median of %d)%n", batch,
                    median(perImage) / 1e6, runs);
        }
        out.println();
    }

    private static RgbImage decode(byte[] body) {
        try {
            return ImageDecoder.readPhoto(body, "photo", new DecodeLimits(ServeOptions.DEFAULT_MAX_PIXELS));
        } catch (BadFileException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The CPU time of this JVM's live threads; threads that ended meanwhile are not counted. */
    private static long allThreadsCpuNanos() {
        long sum = 0;
        for (long id : THREADS.getAllThreadIds()) {
            sum += Math.max(0, THREADS.getThreadCpuTime(id));
        }
        return sum;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double singleImageMs(Segmenter segmenter, RgbImage image) throws IOException {
        double[] times = new double[12];
        for (int i = -3; i < times.length; i++) {
            long start = System.nanoTime();
            Segmenter.Segmentation s = segmenter.segment(image);
            PngEncoder.write(Segmenter.cutout(image, s, AlphaMatte.Mode.SOFT), OutputStream.nullOutputStream());
            if (i >= 0) {
                times[i] = (System.nanoTime() - start) / 1e6;
            }
        }
        Arrays.sort(times);
        return times[times.length / 2];
    }

    /** {@code total} requests from {@code clients} threads, each sending its next one when answered. */
    private Step step(URI url, byte[] body, int clients, int total) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        AtomicInteger issued = new AtomicInteger();
        long cpuStart = PROCESS.getProcessCpuTime();
        long deadline = System.nanoTime() + stepLimit.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<List<long[]>>> results = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            results.add(pool.submit(() -> {
                List<long[]> mine = new ArrayList<>(); // {status, nanos}
                while (issued.getAndIncrement() < total && System.nanoTime() < deadline) {
                    HttpRequest request = HttpRequest.newBuilder(url).header("Content-Type", "image/jpeg")
                            .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                    long t = System.nanoTime();
                    int status;
                    try {
                        status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                    } catch (IOException e) {
                        status = -1; // connection error: counted, never hidden
                    }
                    mine.add(new long[] {status, System.nanoTime() - t});
                }
                return mine;
            }));
        }
        Map<Integer, Integer> statuses = new TreeMap<>();
        List<Double> latencies = new ArrayList<>();
        for (Future<List<long[]>> f : results) {
            try {
                for (long[] r : f.get()) {
                    statuses.merge((int) r[0], 1, Integer::sum);
                    if (r[0] == 200) {
                        latencies.add(r[1] / 1e6);
                    }
                }
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("load client failed: " + e.getCause(), e.getCause());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuMillis = (PROCESS.getProcessCpuTime() - cpuStart) / 1e6;
        pool.shutdown();
        double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new Step(clients, sorted, statuses, seconds, cpuMillis);
    }
}
