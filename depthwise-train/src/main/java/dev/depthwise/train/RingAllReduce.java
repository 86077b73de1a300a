package dev.depthwise.train;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The workers of a data-parallel run joined in a ring of TCP connections, each worker sending to the next and
 * receiving from the previous one. A {@link #sum} is a ring all-reduce: K−1 steps of reduce-scatter (each worker
 * adds the chunk it receives to its own and passes it on), then K−1 steps of all-gather (the finished chunks go
 * round). Each worker sends and receives 2(K−1)/K of the array whatever K is, with no coordinator in between,
 * so a sum costs what the bytes cost on the wire. Each chunk is finished by one worker and copied to the others,
 * so every worker receives the same bits.
 *
 * <p>A worker that fails closes its connections, and its neighbours' sums fail at once with a message naming it;
 * a worker that stops answering is given up after the timeout, so a run never hangs on a lost peer.
 */
public final class RingAllReduce implements WorkerGroup, Closeable {
    /** The first bytes of a connection, so that a stray connection to the port is not taken for a worker. */
    private static final int GREETING = 0x44577231;

    private final int rank;
    private final int size;
    private final String previousName;
    private final String nextName;
    private final Socket toNext;
    private final Socket fromPrevious;
    private final OutputStream out;
    private final DataInputStream in;
    private final ExecutorService sender;
    private final Duration timeout;
    private byte[] sendBuffer = new byte[0];
    private byte[] receiveBuffer = new byte[0];
    private float[] received = new float[0];
    private long sums;
    private long sumNanos;

    private RingAllReduce(int rank, int size, List<InetSocketAddress> peers, Socket toNext, Socket fromPrevious,
                          Duration timeout) throws IOException {
        this.rank = rank;
        this.size = size;
        this.previousName = peerName(previous(rank, size), peers);
        this.nextName = peerName(next(rank, size), peers);
        this.toNext = toNext;
        this.fromPrevious = fromPrevious;
        this.timeout = timeout;
        this.out = toNext == null ? null : toNext.getOutputStream();
        this.in = fromPrevious == null ? null : new DataInputStream(fromPrevious.getInputStream());
        this.sender = toNext == null ? null : Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(task, "ring-send-" + rank);
            t.setDaemon(true);
            return t;
        });
    }

    /** Worker {@code rank}'s listening socket on {@code host}, at a port the system chooses, to tell the others. */
    public static ServerSocket listen(int rank, InetAddress host) throws IOException {
        try {
            return new ServerSocket(0, 1, host);
        } catch (IOException e) {
            throw new IOException("worker " + rank + ": cannot listen on " + host.getHostAddress() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Joins the ring: connects to the next worker and accepts the previous one on {@code listening} (which this
     * closes), each side checking the other's rank.
     *
     * @param peers   every worker's listening address, by rank; all workers must already be listening
     * @param timeout how long to wait for a peer to connect, and for a peer's data in a sum (a peer computing its
     *                step, or worker 0 evaluating, is waited for)
     */
    public static RingAllReduce join(int rank, List<InetSocketAddress> peers, ServerSocket listening, Duration timeout)
            throws IOException {
        int size = peers.size();
        if (rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " is not among " + size + " workers");
        }
        try (listening) {
            if (size == 1) {
                return new RingAllReduce(rank, size, peers, null, null, timeout);
            }
            int millis = Math.toIntExact(Math.max(1, timeout.toMillis()));
            Socket toNext = new Socket();
            Socket fromPrevious = null;
            try {
                int next = next(rank, size);
                try {
                    toNext.connect(peers.get(next), millis);
                } catch (IOException e) {
                    throw new IOException("worker " + rank + ": cannot connect to " + peerName(next, peers) + ": "
                            + e.getMessage(), e);
                }
                toNext.setTcpNoDelay(true);
                toNext.setSoTimeout(millis);
                DataOutputStream hello = new DataOutputStream(toNext.getOutputStream());
                hello.writeInt(GREETING);
                hello.writeInt(rank);
                hello.writeInt(size);
                hello.flush();

                listening.setSoTimeout(millis);
                int previous = previous(rank, size);
                try {
                    fromPrevious = listening.accept();
                } catch (SocketTimeoutException e) {
                    throw new IOException("worker " + rank + ": " + peerName(previous, peers) + " did not connect within "
                            + inWords(timeout), e);
                }
                fromPrevious.setTcpNoDelay(true);
                fromPrevious.setSoTimeout(millis);
                DataInputStream greeting = new DataInputStream(fromPrevious.getInputStream());
                int magic = greeting.readInt();
                int theirRank = greeting.readInt();
                int theirSize = greeting.readInt();
                if (magic != GREETING || theirRank != previous || theirSize != size) {
                    throw new IOException("worker " + rank + ": the connection from "
                            + fromPrevious.getRemoteSocketAddress() + " is not " + peerName(previous, peers)
                            + " of a ring of " + size);
                }
                return new RingAllReduce(rank, size, peers, toNext, fromPrevious, timeout);
            } catch (IOException | RuntimeException e) {
                toNext.close();
                if (fromPrevious != null) {
                    fromPrevious.close();
                }
                throw e;
            }
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    /** The sum over the workers, in place: {@code values} itself is returned, holding it. */
    @Override
    public float[] sum(float[] values) {
        if (size == 1) {
            return values;
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new UncheckedIOException(new InterruptedIOException("worker " + rank + ": interrupted (the run was cancelled)"));
        }
        long start = System.nanoTime();
        int n = values.length;
        int largest = (n + size - 1) / size;
        if (sendBuffer.length < Integer.BYTES + largest * Float.BYTES) {
            received = new float[largest];
            sendBuffer = new byte[Integer.BYTES + largest * Float.BYTES];
            receiveBuffer = new byte[Integer.BYTES + largest * Float.BYTES];
        }
        try {
            for (int step = 0; step < size - 1; step++) {
                int chunk = exchange(values, Math.floorMod(rank - step, size), Math.floorMod(rank - step - 1, size));
                int from = chunkStart(chunk, n);
                int length = chunkStart(chunk + 1, n) - from;
                for (int i = 0; i < length; i++) {
                    values[from + i] += received[i];
                }
            }
            for (int step = 0; step < size - 1; step++) {
                int chunk = exchange(values, Math.floorMod(rank + 1 - step, size), Math.floorMod(rank - step, size));
                int from = chunkStart(chunk, n);
                System.arraycopy(received, 0, values, from, chunkStart(chunk + 1, n) - from);
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e.getMessage(), e);
        }
        sumNanos += System.nanoTime() - start;
        sums++;
        return values;
    }

    /**
     * Sends chunk {@code outgoing} of {@code values} to the next worker while the previous worker's chunk
     * {@code incoming} is read into {@link #received}; both sides write at once, so the write has its own thread
     * (two blocking writes of more than the sockets buffer would wait on each other for ever).
     *
     * @return {@code incoming}
     */
    private int exchange(float[] values, int outgoing, int incoming) throws IOException {
        int n = values.length;
        int from = chunkStart(outgoing, n);
        int length = chunkStart(outgoing + 1, n) - from;
        ByteBuffer header = ByteBuffer.wrap(sendBuffer).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(n);
        header.asFloatBuffer().put(values, from, length);
        int bytes = Integer.BYTES + length * Float.BYTES;
        Future<?> sent = sender.submit(() -> {
            out.write(sendBuffer, 0, bytes);
            out.flush();
            return null;
        });
        try {
            readChunk(n, chunkStart(incoming + 1, n) - chunkStart(incoming, n));
            sent.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException("worker " + rank + ": cannot send to " + nextName + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("worker " + rank + ": " + nextName + " took no data for " + inWords(timeout)
                    + "; is it still running?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("worker " + rank + ": interrupted while sending to " + nextName);
        } finally {
            sent.cancel(true);
        }
        return incoming;
    }

    private void readChunk(int n, int length) throws IOException {
        readFully(0, Integer.BYTES);
        ByteBuffer bytes = ByteBuffer.wrap(receiveBuffer).order(ByteOrder.LITTLE_ENDIAN);
        int theirs = bytes.getInt(0);
        if (theirs != n) {
            throw new IOException("worker " + rank + ": " + previousName + " sums " + theirs + " values, this worker "
                    + n + ": the workers do not train the same model");
        }
        readFully(Integer.BYTES, length * Float.BYTES);
        bytes.position(Integer.BYTES);
        bytes.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(received, 0, length);
    }

    private void readFully(int offset, int length) throws IOException {
        try {
            in.readFully(receiveBuffer, offset, length);
        } catch (SocketTimeoutException e) {
            throw new IOException("worker " + rank + ": nothing from " + previousName + " for " + inWords(timeout)
                    + "; is it still running?", e);
        } catch (EOFException e) {
            throw new IOException("worker " + rank + ": " + previousName + " closed the connection (it failed or stopped)", e);
        } catch (IOException e) {
            throw new IOException("worker " + rank + ": lost " + previousName + ": " + e.getMessage(), e);
        }
    }

    /** Where chunk {@code c} of {@code K} starts in an array of {@code n}: chunks differ in length by one at most. */
    private int chunkStart(int c, int n) {
        return (int) ((long) n * c / size);
    }

    private static String inWords(Duration timeout) {
        long millis = timeout.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    private static int next(int rank, int size) {
        return (rank + 1) % size;
    }

    private static int previous(int rank, int size) {
        return (rank + size - 1) % size;
    }

    private static String peerName(int rank, List<InetSocketAddress> peers) {
        InetSocketAddress a = peers.get(rank);
        return "worker " + rank + " (" + a.getHostString() + ":" + a.getPort() + ")";
    }

    /** How many sums this worker took part in. */
    public long sums() {
        return sums;
    }

    /** Their wall time on this worker, waiting for the slowest worker included. */
    public double sumSeconds() {
        return sumNanos / 1e9;
    }

    @Override
    public void close() {
        if (sender != null) {
            sender.shutdownNow();
        }
        closeQuietly(toNext);
        closeQuietly(fromPrevious);
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing is what a failed ring does on the way out; the failure that led here is the one to report.
            }
        }
    }
}
