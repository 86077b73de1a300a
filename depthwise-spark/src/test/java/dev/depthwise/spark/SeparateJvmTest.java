package dev.depthwise.spark;

import dev.depthwise.train.Checkpoint;
import dev.depthwise.train.WorkerGroup;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jobs with two executor JVMs of their own ({@code local-cluster[2,1,1024]}), so the functions, the checkpoint
 * and the gradients really cross JVMs. Spark starts the executors from {@code $SPARK_HOME/jars}: the build points
 * SPARK_HOME at a folder this test fills with the test class path (its jars linked, its class folders jarred).
 */
class SeparateJvmTest {
    @TempDir
    static Path root;
    static SparkSession spark;

    @BeforeAll
    static void start() throws IOException {
        String home = System.getenv("SPARK_HOME");
        Assumptions.assumeTrue(home != null && "2.13".equals(System.getenv("SPARK_SCALA_VERSION")),
                "skipped: needs SPARK_HOME (a folder to fill) and SPARK_SCALA_VERSION=2.13, as the Maven build sets them");
        fillSparkHome(Path.of(home));
        spark = SparkSession.builder().master("local-cluster[2,1,1024]").appName("depthwise-spark separate JVMs")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** {@code home/jars}: every jar of this JVM's class path, and one jar of its class folders. */
    private static void fillSparkHome(Path home) throws IOException {
        Path jars = home.resolve("jars");
        if (Files.exists(jars)) {
            try (Stream<Path> old = Files.walk(jars)) {
                for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(jars);
        try (JarOutputStream classes = new JarOutputStream(Files.newOutputStream(jars.resolve("depthwise-classes.jar")))) {
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path p = Path.of(entry);
                if (Files.isDirectory(p)) {
                    addFolder(classes, p);
                } else if (entry.endsWith(".jar") && Files.exists(p)) {
                    Path link = jars.resolve(p.getFileName());
                    if (!Files.exists(link)) {
                        Files.createSymbolicLink(link, p.toAbsolutePath());
                    }
                }
            }
        }
    }

    private static void addFolder(JarOutputStream jar, Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = folder.relativize(f).toString().replace(File.separatorChar, '/');
                try {
                    jar.putNextEntry(new JarEntry(name));
                } catch (java.util.zip.ZipException duplicate) {
                    continue; // the first folder on the class path wins, as in the class loader
                }
                Files.copy(f, jar);
                jar.closeEntry();
            }
        }
    }

    @Test
    void segmentCompilesOncePerExecutorJvmAndTrainingStepsAgreeAcrossJvms() throws Exception {
        Path pets = Fixtures.pets(root.resolve("pets"));
        Path photos = Fixtures.photoFolder(root.resolve("photos"), pets, 5);
        Path checkpoint = Fixtures.checkpoint(root.resolve("seg.safetensors"), pets);

        // Four partitions over two single-core executors: at least one JVM runs two of them, from its cache.
        List<Row> rows = new SparkSegmenter(spark, checkpoint)
                .segment(ImageFiles.read(spark, photos.toString(), ImageFiles.DEFAULT_GLOB).repartition(4))
                .collectAsList();
        assertEquals(6, rows.size());
        for (Row row : rows) {
            if (row.getString(0).endsWith("broken.jpg")) {
                assertTrue(row.getString(5).startsWith("not an image"), row.getString(5));
            } else {
                assertNull(row.get(5), row.getString(0));
                List<Long> counts = row.getList(3);
                assertEquals((long) row.getInt(1) * row.getInt(2), counts.stream().mapToLong(Long::longValue).sum());
            }
        }

        // One barrier task per executor reads that JVM's cache.
        String key = "segmenter:" + ExecutorModels.sha256(Files.readAllBytes(checkpoint));
        List<long[]> jvms = BarrierWorkers.runStage(spark, 2,
                context -> new long[]{ProcessHandle.current().pid(), ExecutorModels.loads(key)}, long[].class);
        assertEquals(2, jvms.size());
        long driver = ProcessHandle.current().pid();
        assertNotEquals(jvms.get(0)[0], jvms.get(1)[0], "two executor JVMs");
        long loads = 0;
        for (long[] jvm : jvms) {
            assertNotEquals(driver, jvm[0], "an executor is not the driver's JVM");
            assertTrue(jvm[1] <= 1, "JVM " + jvm[0] + " compiled the checkpoint " + jvm[1] + " times");
            loads += jvm[1];
        }
        assertTrue(loads >= 1, "no executor compiled the checkpoint");

        // One data-parallel step in each executor JVM leaves both with the same weights, and not those of a step
        // on one worker's batch alone.
        List<String> steps = BarrierWorkers.runStage(spark, 2, new StepProbe(), String.class);
        String[] first = steps.get(0).split(" ");
        String[] second = steps.get(1).split(" ");
        assertNotEquals(first[0], second[0], "two executor JVMs");
        assertEquals(first[1], second[1], "both workers' weights after the step");
        assertNotEquals(StepProbe.step(WorkerGroup.SINGLE), first[1]);

        Path out = root.resolve("run");
        SparkTrainer.Result result = SparkTrainer.train(spark, Fixtures.tinyRun(pets, 1), 2, out.toString(), 1);
        assertEquals(3, result.exchanges());
        Checkpoint.Contents last = Checkpoint.read(out.resolve("last.safetensors"));
        assertEquals(2, last.info().optimizerSteps());
        assertTrue(Files.exists(out.resolve("report.html")));
    }
}
