package org.openaimoodle.sidecar.worker.http;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.spi.ServerConnection;

import org.openaimoodle.sidecar.worker.action.ErrorCode;
import org.openaimoodle.sidecar.worker.action.Reply;

/**
 * One client connection: Helidon's HTTP/1.1 connection over a reader that notes when request bytes arrive, so
 * that {@link ConnectionGuard} knows whether the connection is idle (waiting for a request), reading a request
 * head, or busy. Idle and head times are {@link System#nanoTime()} stamps, 0 when not in that state.
 */
final class GuardedConnection implements ServerConnection {
    private static final byte[] HTTP_1_0 = " HTTP/1.0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] AS_HTTP_1_1 = " HTTP/1.1\r\nConnection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_REQUEST_LINE = 4096;
    /** Longest lingering close, and longest wait for a byte during it. */
    private static final Duration LINGER = Duration.ofSeconds(2);
    private static final Duration LINGER_READ = Duration.ofMillis(500);

    private final ConnectionGuard guard;
    private final ConnectionContext ctx;
    private final Deque<byte[]> replayed = new ArrayDeque<>();
    /** The connection whose request the current (virtual) thread serves: Helidon serves each on its own. */
    private static final ThreadLocal<GuardedConnection> SERVING = new ThreadLocal<>();

    private volatile long idleSince = stamp();
    private volatile boolean streaming;
    private volatile long headSince;
    private volatile ServerConnection http1;
    private volatile Thread thread;
    private volatile boolean lingerOnClose;

    GuardedConnection(ConnectionGuard guard, ConnectionContext ctx) {
        this.guard = guard;
        this.ctx = ctx;
    }

    /** @return the guarded connection behind a context handed to Helidon's listeners */
    static Optional<GuardedConnection> of(ConnectionContext ctx) {
        return ctx instanceof Context guarded ? Optional.of(guarded.connection()) : Optional.empty();
    }

    @Override
    public void handle(Limit limit) throws InterruptedException {
        thread = Thread.currentThread();
        SERVING.set(this);
        try {
            if (!guard.admit(this)) {
                refuse();
                return;
            }
            DataReader reader = new DataReader(this::nextBytes);
            Context context = new Context(this, ctx, http10AsHttp11(reader));
            http1 = guard.http1(context);
            http1.handle(limit);
        } finally {
            if (lingerOnClose) {
                linger();
            }
            SERVING.remove();
            guard.leave(this);
        }
    }

    /**
     * The connection the current thread serves closes after its answer although the client may still be sending
     * the request body (an answer given without reading it: 413, 401, …). Closing a socket with unread bytes makes
     * the kernel send a reset, and a reset that reaches the client before it has read the answer discards the
     * answer: the client sees a connection closed without a reply. Such a close lingers instead ({@link #linger}).
     */
    static void closesWithUnreadBody() {
        GuardedConnection connection = SERVING.get();
        if (connection != null) {
            connection.lingerOnClose = true;
        }
    }

    /**
     * A lingering close, as web servers do it: the answer is followed by the end of our side of the stream (FIN),
     * then what the client still sends is read and dropped until it closes its side, for at most {@link #LINGER}
     * (and {@link #LINGER_READ} without a byte); Helidon closes the socket afterwards, with nothing unread left.
     */
    private void linger() {
        Object channel = delegateOf(ctx.serverSocket());
        java.net.Socket socket = channel instanceof java.nio.channels.SocketChannel nio ? nio.socket()
                : channel instanceof java.net.Socket plain ? plain : null;
        if (socket == null) {
            return;
        }
        try {
            socket.shutdownOutput();
            socket.setSoTimeout((int) LINGER_READ.toMillis());
            java.io.InputStream in = socket.getInputStream();
            byte[] dropped = new byte[8192];
            long end = System.nanoTime() + LINGER.toNanos();
            while (System.nanoTime() < end && in.read(dropped) >= 0) {
                // dropped
            }
        } catch (java.io.IOException | RuntimeException e) {
            // the client is gone, stopped sending, or the socket was closed meanwhile: nothing left to wait for
        }
    }

    /** @return the JDK socket or channel behind Helidon's socket (private field {@code delegate}), or null */
    private static Object delegateOf(HelidonSocket socket) {
        try {
            java.lang.reflect.Field delegate = socket.getClass().getDeclaredField("delegate");
            delegate.setAccessible(true);
            return delegate.get(socket);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // another Helidon version: the socket closes at once, as before
        }
    }

    @Override
    public Duration idleTime() {
        // Helidon's idle timer only closes connections waiting for a request line; ours covers more (see class).
        return Duration.ZERO;
    }

    @Override
    public void close(boolean interrupt) {
        ServerConnection current = http1;
        if (current != null) {
            current.close(interrupt);
        } else {
            closeSocket();
        }
    }

    long idleSince() {
        return streaming ? 0 : idleSince;
    }

    /**
     * A streamed answer has sent its status long before it ends; until the stream is closed its connection is
     * busy, not idle (neither the idle timeout nor a full connection table may close it).
     *
     * @param body the response body of the request served on this thread
     * @return the same body, which marks the connection idle again when closed
     */
    static java.io.OutputStream streaming(java.io.OutputStream body) {
        GuardedConnection connection = SERVING.get();
        if (connection == null) {
            return body;
        }
        connection.streaming = true;
        return new java.io.FilterOutputStream(body) {
            @Override
            public void write(byte[] bytes, int offset, int length) throws java.io.IOException {
                out.write(bytes, offset, length);
            }

            @Override
            public void close() throws java.io.IOException {
                try {
                    super.close();
                } finally {
                    connection.idleSince = stamp();
                    connection.streaming = false;
                }
            }
        };
    }

    long headSince() {
        return headSince;
    }

    void headComplete() {
        idleSince = 0;
        headSince = 0;
    }

    void answered() {
        headSince = 0;
        idleSince = stamp();
    }

    /** Closes the socket under the connection's thread: its blocked read fails and Helidon cleans up. */
    void closeSocket() {
        try {
            ctx.serverSocket().close();
        } catch (RuntimeException e) {
            // already closed
        }
    }

    private byte[] nextBytes() {
        byte[] bytes = replayed.poll();
        if (bytes != null) {
            return bytes;
        }
        try {
            bytes = ctx.serverSocket().get();
        } catch (UncheckedIOException e) {
            throw new ServerConnectionException("Failed to get data from socket", e);
        }
        if (idleSince != 0) {
            headSince = stamp();
            idleSince = 0;
        }
        return bytes;
    }

    /**
     * Helidon 4.5 rejects HTTP/1.0 with 505; monitoring tools use it. A 1.0 request line is passed on as 1.1 with
     * {@code Connection: close} (1.0 has no keep-alive by default), so exactly one request is served.
     */
    private DataReader http10AsHttp11(DataReader reader) {
        int eol;
        try {
            eol = reader.findNewLine(MAX_REQUEST_LINE);
        } catch (DataReader.InsufficientDataAvailableException e) {
            throw new CloseConnectionException("closed before sending a request", e);
        } catch (DataReader.IncorrectNewLineException e) {
            return reader; // Helidon answers 400
        }
        if (eol == MAX_REQUEST_LINE || eol < HTTP_1_0.length) {
            return reader; // Helidon answers what is wrong with it
        }
        byte[] line = reader.getBuffer(eol).readBytes();
        if (!Arrays.equals(line, eol - HTTP_1_0.length, eol, HTTP_1_0, 0, HTTP_1_0.length)) {
            return reader;
        }
        reader.skip(eol + 2);
        byte[] rewritten = Arrays.copyOf(line, eol - HTTP_1_0.length + AS_HTTP_1_1.length);
        System.arraycopy(AS_HTTP_1_1, 0, rewritten, eol - HTTP_1_0.length, AS_HTTP_1_1.length);
        replayed.add(rewritten);
        if (reader.available() > 0) {
            replayed.add(reader.readBytes(reader.available()));
        }
        return new DataReader(this::nextBytes);
    }

    private void refuse() {
        byte[] body = Reply.failure(ErrorCode.UNAVAILABLE, "Too many connections (SIDECAR_MAX_CONNECTIONS); "
                + "retry in a moment").toJson();
        String head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
                + "Connection: close\r\nContent-Length: " + body.length + "\r\n\r\n";
        try {
            BufferData data = BufferData.growing(head.length() + body.length);
            data.write(head.getBytes(StandardCharsets.US_ASCII));
            data.write(body);
            ctx.dataWriter().writeNow(data);
        } catch (RuntimeException e) {
            // the client is gone
        }
    }

    private static long stamp() {
        long now = System.nanoTime();
        return now == 0 ? 1 : now;
    }

    /** The connection's context with its own reader; everything else is Helidon's. */
    private record Context(GuardedConnection connection, ConnectionContext delegate, DataReader reader)
            implements ConnectionContext {
        @Override
        public ListenerContext listenerContext() {
            return delegate.listenerContext();
        }

        @Override
        public ExecutorService executor() {
            return delegate.executor();
        }

        @Override
        public DataWriter dataWriter() {
            return delegate.dataWriter();
        }

        @Override
        public DataReader dataReader() {
            return reader;
        }

        @Override
        public Router router() {
            return delegate.router();
        }

        @Override
        public Optional<ProxyProtocolData> proxyProtocolData() {
            return delegate.proxyProtocolData();
        }

        @Override
        public HelidonSocket serverSocket() {
            return delegate.serverSocket();
        }

        @Override
        public PeerInfo remotePeer() {
            return delegate.remotePeer();
        }

        @Override
        public PeerInfo localPeer() {
            return delegate.localPeer();
        }

        @Override
        public boolean isSecure() {
            return delegate.isSecure();
        }

        @Override
        public String socketId() {
            return delegate.socketId();
        }

        @Override
        public String childSocketId() {
            return delegate.childSocketId();
        }
    }
}
