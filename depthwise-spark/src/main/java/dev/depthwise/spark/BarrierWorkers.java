package dev.depthwise.spark;

import dev.depthwise.train.RingAllReduce;
import org.apache.spark.BarrierTaskContext;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The tasks of a barrier stage joined in a {@link RingAllReduce}. Spark's barrier is used once, to tell each
 * task the others' addresses: each round of {@code BarrierTaskContext.allGather} costs up to a second (in Spark
 * 4.2.0 a waiting task checks for the answer once a second), which every-step averaging cannot afford, while the
 * ring's sums go straight from executor to executor.
 */
final class BarrierWorkers {
    private BarrierWorkers() {
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
