package dev.depthwise.spark;

import dev.depthwise.engine.Parallel;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models an executor JVM has loaded and compiled, kept for every later task of the job by the hash of the
 * weights they came from. The file travels as a broadcast (fetched once per executor JVM, and only when a task
 * needs it) and is compiled once per task running at the same time: a compiled plan is not thread-safe, so two
 * tasks in one JVM each borrow their own; with one task per executor, as {@code spark.executor.cores} =
 * {@code spark.task.cpus} gives, that is one. The engine's compute team is sized to {@code spark.task.cpus} when
 * the JVM starts its first task.
 */
final class ExecutorModels {
    /** A model file as the executors receive it: its bytes, its name (which tells its format) and its cache key. */
    record Shipped(String key, String fileName, Broadcast<byte[]> bytes) implements Serializable {
    }

    /** A model loaded from a local copy of the shipped file. */
    @FunctionalInterface
    interface Loader<T> {
        T load(Path file) throws IOException;
    }

    private static final Map<String, Queue<Object>> IDLE = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> LOADS = new ConcurrentHashMap<>();
    private static volatile boolean threadsSet;

    private ExecutorModels() {
    }

    /** Broadcasts {@code file} to the executors of the job as the model of {@code kind}. */
    static Shipped ship(SparkSession spark, Path file, String kind) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String key = kind + ":" + sha256(bytes);
        return new Shipped(key, file.getFileName().toString(),
                JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(bytes));
    }

    /**
     * A model of the shipped file: an idle one of this JVM, or one loaded now. Give it back with {@link #release}
     * when the partition is done.
     */
    static <T> T borrow(Shipped shipped, Loader<T> loader) throws IOException {
        sizeComputeTeam();
        @SuppressWarnings("unchecked")
        T idle = (T) IDLE.computeIfAbsent(shipped.key(), k -> new ConcurrentLinkedQueue<>()).poll();
        if (idle != null) {
            return idle;
        }
        Path folder = Files.createTempDirectory("depthwise-model-");
        Path copy = folder.resolve(shipped.fileName());
        try {
            Files.write(copy, shipped.bytes().value());
            T model = loader.load(copy);
            LOADS.computeIfAbsent(shipped.key(), k -> new AtomicInteger()).incrementAndGet();
            return model;
        } finally {
            Files.deleteIfExists(copy);
            Files.deleteIfExists(folder);
        }
    }

    static void release(Shipped shipped, Object model) {
        IDLE.get(shipped.key()).add(model);
    }

    /** How many times this JVM has loaded and compiled the model of {@code key}. */
    static int loads(String key) {
        AtomicInteger n = LOADS.get(key);
        return n == null ? 0 : n.get();
    }

    /** Sizes the engine's compute team to {@code spark.task.cpus}, once per executor JVM. */
    static synchronized void sizeComputeTeam() {
        TaskContext task = TaskContext.get();
        if (!threadsSet && task != null) {
            Parallel.setThreads(Math.max(1, task.cpus()));
            threadsSet = true;
        }
    }

    /** The SHA-256 of some bytes, in hex: the cache key of the model read from them. */
    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
