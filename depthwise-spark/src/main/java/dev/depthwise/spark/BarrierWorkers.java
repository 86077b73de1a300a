package dev.depthwise.spark;

import dev.depthwise.train.RingAllReduce;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The tasks of a barrier stage, and how they join a {@link RingAllReduce}. Spark's barrier is used once, to tell each
 * task the others' addresses: each round of {@code BarrierTaskContext.allGather} costs up to a second (in Spark
 * 4.2.0 a waiting task checks for the answer once a second), which every-step averaging cannot afford, while the
 * ring's sums go straight from executor to executor.
 */
final class BarrierWorkers {
    private BarrierWorkers() {
    }

    /** What each task of a barrier stage does: one result per task. */
    @FunctionalInterface
    interface Task<T> extends Serializable {
        T run(BarrierTaskContext context) throws IOException;
    }

    /** Runs {@code task} on {@code workers} tasks of one barrier stage (all start together, or none does); the results by rank. */
    static <T> List<T> runStage(SparkSession spark, int workers, Task<T> task, Class<T> type) {
        return JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(IntStream.range(0, workers).boxed().toList(), workers).rdd().barrier()
                .mapPartitions(new Stage<>(task), false, ClassTag$.MODULE$.apply(type))
                .toJavaRDD().collect();
    }

    /** The task as Spark's barrier mapPartitions takes it: a serialisable Scala function of the partition. */
    private static final class Stage<T> extends AbstractFunction1<scala.collection.Iterator<Integer>,
            scala.collection.Iterator<T>> implements Serializable {
        private static final long serialVersionUID = 1L;

        private final Task<T> task;

        Stage(Task<T> task) {
            this.task = task;
        }

        @Override
        public scala.collection.Iterator<T> apply(scala.collection.Iterator<Integer> ignored) {
            try {
                return CollectionConverters.asScala(List.of(task.run(BarrierTaskContext.get())).iterator());
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        }
    }

    /** Listens on this executor's address, swaps addresses with the other tasks, and joins their ring. */
    static RingAllReduce join(BarrierTaskContext context, Duration timeout) throws IOException {
        int rank = context.partitionId();
        String host = hostOf(context.getTaskInfos()[rank].address());
        ServerSocket listening = RingAllReduce.listen(rank, InetAddress.getByName(host));
        List<InetSocketAddress> peers = new ArrayList<>();
        try {
            for (String address : context.allGather(host + " " + listening.getLocalPort())) {
                String[] hostAndPort = address.split(" ");
                peers.add(new InetSocketAddress(hostAndPort[0], Integer.parseInt(hostAndPort[1])));
            }
        } catch (RuntimeException e) {
            listening.close();
            throw e;
        }
        return RingAllReduce.join(rank, peers, listening, timeout);
    }

    /** The host of an executor's {@code host:port} (an IPv6 host has colons of its own). */
    static String hostOf(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? address : address.substring(0, colon);
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
