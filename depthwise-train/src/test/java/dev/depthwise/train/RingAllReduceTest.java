package dev.depthwise.train;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ring all-reduce with its workers as threads of one JVM, joined over TCP on 127.0.0.1. */
class RingAllReduceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** Listens for {@code size} workers, then runs each (given its joined ring) on a thread of its own. */
    private static <T> List<Future<T>> ring(int size, Duration timeout, IntFunction<RingTask<T>> tasks) throws IOException {
        List<ServerSocket> listening = new ArrayList<>();
        List<InetSocketAddress> peers = new ArrayList<>();
        for (int rank = 0; rank < size; rank++) {
            ServerSocket s = RingAllReduce.listen(rank, InetAddress.getLoopbackAddress());
            listening.add(s);
            peers.add(new InetSocketAddress("127.0.0.1", s.getLocalPort()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(size);
        List<Future<T>> results = new ArrayList<>();
        for (int rank = 0; rank < size; rank++) {
            int r = rank;
            RingTask<T> task = tasks.apply(r);
            results.add(pool.submit((Callable<T>) () -> {
                try (RingAllReduce ring = RingAllReduce.join(r, peers, listening.get(r), timeout)) {
                    return task.run(ring);
                }
            }));
        }
        pool.shutdown();
        return results;
    }

    @FunctionalInterface
    private interface RingTask<T> {
        T run(RingAllReduce ring) throws Exception;
    }

    private static float[] values(int rank, int n, int round) {
        SplittableRandom rng = new SplittableRandom(1000L * rank + round);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rng.nextDouble(-10, 10);
        }
        return v;
    }

    @Test
    void everyWorkerGetsTheSameSumBitForBit() throws Exception {
        // Lengths shorter than the ring (empty chunks), uneven chunks, and one large enough to fill the sockets' buffers.
        int[] lengths = {0, 2, 7, 1000, 1_000_003};
        for (int size : new int[]{1, 2, 3, 4}) {
            List<Future<List<float[]>>> workers = ring(size, TIMEOUT, rank -> ring -> {
                List<float[]> sums = new ArrayList<>();
                for (int round = 0; round < lengths.length; round++) {
                    sums.add(ring.sum(values(rank, lengths[round], round)));
                }
                if (size > 1) {
                    assertEquals(lengths.length, ring.sums());
                }
                return sums;
            });
            List<List<float[]>> got = new ArrayList<>();
            for (Future<List<float[]>> f : workers) {
                got.add(assertTimeoutPreemptively(Duration.ofSeconds(60), () -> f.get()));
            }
            for (int round = 0; round < lengths.length; round++) {
                float[] first = got.get(0).get(round);
                assertEquals(lengths[round], first.length);
                for (int rank = 1; rank < size; rank++) {
                    assertArrayEquals(first, got.get(rank).get(round), size + " workers, round " + round + ", worker " + rank);
                }
                double[] exact = new double[lengths[round]];
                for (int rank = 0; rank < size; rank++) {
                    float[] theirs = values(rank, lengths[round], round);
                    for (int i = 0; i < exact.length; i++) {
                        exact[i] += theirs[i];
                    }
                }
                for (int i = 0; i < first.length; i++) {
                    assertEquals(exact[i], first[i], 1e-5 * size * 10, size + " workers, round " + round + ", [" + i + "]");
                }
            }
        }
    }

    @Test
    void aWorkerThatFailsFailsItsPeersAtOnceNamingIt() throws Exception {
        List<Future<float[]>> workers = ring(3, Duration.ofSeconds(60), rank -> ring -> {
            if (rank == 1) {
                throw new IllegalStateException("worker 1 broke"); // closes its connections on the way out
            }
            return ring.sum(values(rank, 100_000, 0));
        });
        // Worker 2 reads from worker 1: it learns at once, not after the minute's timeout.
        ExecutionException e = assertTimeoutPreemptively(Duration.ofSeconds(15),
                () -> assertThrows(ExecutionException.class, () -> workers.get(2).get()));
        assertInstanceOf(UncheckedIOException.class, e.getCause());
        assertTrue(e.getCause().getMessage().matches("worker 2: worker 1 \\(127\\.0\\.0\\.1:\\d+\\) closed the connection.*"),
                e.getCause().getMessage());
        // Worker 0 sends to worker 1 and reads from worker 2, which gave up and closed: it fails too.
        ExecutionException e0 = assertTimeoutPreemptively(Duration.ofSeconds(15),
                () -> assertThrows(ExecutionException.class, () -> workers.get(0).get()));
        assertTrue(e0.getCause().getMessage().startsWith("worker 0: "), e0.getCause().getMessage());
    }

    @Test
    void aSilentPeerIsGivenUpAfterTheTimeout() throws Exception {
        List<Future<float[]>> workers = ring(2, Duration.ofMillis(500), rank -> ring -> {
            if (rank == 1) {
                Thread.sleep(5_000); // alive and connected, but never sums
                return null;
            }
            return ring.sum(values(rank, 10, 0));
        });
        ExecutionException e = assertTimeoutPreemptively(Duration.ofSeconds(4),
                () -> assertThrows(ExecutionException.class, () -> workers.get(0).get()));
        assertTrue(e.getCause().getMessage().matches("worker 0: nothing from worker 1 \\(127\\.0\\.0\\.1:\\d+\\) for 500 ms.*"),
                e.getCause().getMessage());
    }

    @Test
    void workersWithDifferentModelsAreToldSo() throws Exception {
        List<Future<float[]>> workers = ring(2, TIMEOUT, rank -> ring -> ring.sum(new float[rank == 0 ? 10 : 12]));
        // Both fail; the one that reads the other's length first says why, the other may see it hang up first.
        List<String> messages = new ArrayList<>();
        for (Future<float[]> f : workers) {
            messages.add(assertThrows(ExecutionException.class, f::get).getCause().getMessage());
        }
        assertTrue(messages.stream().anyMatch(m -> m.contains("the workers do not train the same model")), messages.toString());
    }

    @Test
    void aStrayConnectionIsNotTakenForAWorker() throws Exception {
        ServerSocket listening = RingAllReduce.listen(0, InetAddress.getLoopbackAddress());
        InetSocketAddress self = new InetSocketAddress("127.0.0.1", listening.getLocalPort());
        try (ServerSocket other = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             java.net.Socket stray = new java.net.Socket(self.getAddress(), self.getPort())) {
            stray.getOutputStream().write(new byte[12]);
            InetSocketAddress next = new InetSocketAddress("127.0.0.1", other.getLocalPort());
            IOException e = assertThrows(IOException.class, () -> RingAllReduce.join(0, List.of(self, next), listening, TIMEOUT));
            assertTrue(e.getMessage().contains("is not worker 1 (127.0.0.1:" + next.getPort() + ") of a ring of 2"), e.getMessage());
        }
    }
}
