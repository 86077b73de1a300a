package dev.depthwise.spark;

import dev.depthwise.train.RingAllReduce;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What one gradient exchange costs between the tasks of a barrier stage: the ring all-reduce that {@code train}
 * uses, against a round of Spark's own {@code BarrierTaskContext.allGather} (which it uses once, for addresses).
 */
final class ExchangeBench {
    /**
     * One worker's timings.
     *
     * @param ringMillis      the median wall time of one ring sum, waiting for the others included
     * @param allGatherMillis the median wall time of one allGather round of a few bytes
     */
    record WorkerTimes(int rank, double ringMillis, double allGatherMillis) implements java.io.Serializable {
    }

    private ExchangeBench() {
    }

    /** Times {@code rounds} ring sums of {@code values} floats (after two not timed) and {@code allGatherRounds} allGathers. */
    static List<WorkerTimes> run(SparkSession spark, int workers, int values, int rounds, int allGatherRounds) {
        return BarrierWorkers.runStage(spark, workers, new Worker(values, rounds, allGatherRounds), WorkerTimes.class);
    }

    private record Worker(int values, int rounds, int allGatherRounds) implements BarrierWorkers.Task<WorkerTimes> {
        @Override
        public WorkerTimes run(BarrierTaskContext context) throws IOException {
            double[] ring = new double[rounds];
            try (RingAllReduce workers = BarrierWorkers.join(context, Duration.ofMinutes(5))) {
                SplittableRandom rng = new SplittableRandom(workers.rank());
                float[] gradients = new float[values];
                for (int round = -2; round < rounds; round++) {
                    for (int i = 0; i < values; i++) {
                        gradients[i] = (float) rng.nextDouble(-1, 1);
                    }
                    long start = System.nanoTime();
                    workers.sum(gradients);
                    if (round >= 0) {
                        ring[round] = (System.nanoTime() - start) / 1e6;
                    }
                }
            }
            double[] allGather = new double[allGatherRounds];
            for (int round = 0; round < allGatherRounds; round++) {
                long start = System.nanoTime();
                context.allGather(Integer.toString(round));
                allGather[round] = (System.nanoTime() - start) / 1e6;
            }
            return new WorkerTimes(context.partitionId(), median(ring), median(allGather));
        }
    }

    private static double median(double[] millis) {
        if (millis.length == 0) {
            return Double.NaN;
        }
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
