package org.openaimoodle.sidecar.worker.http;

import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.helidon.common.buffers.BufferData;
import io.helidon.http.Headers;
import io.helidon.http.Status;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

/**
 * The listener's only connection selector: every connection is Helidon's HTTP/1.1 connection inside a
 * {@link GuardedConnection}, which adds what Helidon 4.5 does not do (docs/internals.md, "Connections"):
 * <ul>
 *   <li>a cap ({@code SIDECAR_MAX_CONNECTIONS}): a connection over it closes the one idle the longest, else the
 *       oldest one still sending its request head, else it is answered 503 and closed — so /health and new
 *       requests get through while idle keep-alive connections hold the slots;</li>
 *   <li>an idle timeout ({@code SIDECAR_IDLE_TIMEOUT}) from accept or the last response to the first byte of
 *       the next request, and a header timeout ({@code SIDECAR_HEADER_TIMEOUT}) from that byte to the end of the
 *       request head (Helidon's own idle timeout never interrupts a connection reading headers);</li>
 *   <li>HTTP/1.0: Helidon answers 505; a 1.0 request line is handed on as 1.1 with {@code Connection: close}.</li>
 * </ul>
 * Being the only selector also keeps Helidon from sniffing the first bytes before the connection is tracked.
 */
final class ConnectionGuard implements ServerConnectionSelector {
    private final ServerConnectionSelector http1;
    private final int maxConnections;
    private final long idleNanos;
    private final long headerNanos;
    private final Set<GuardedConnection> open = ConcurrentHashMap.newKeySet();

    /**
     * @param http1          Helidon's HTTP/1.1 settings; {@link #receiveListener()} and {@link #sendListener()} must be its listeners
     * @param maxConnections connections kept open at most
     * @param idleTimeout    longest wait for the first byte of a request
     * @param headerTimeout  longest time from that byte to the end of the request head
     */
    ConnectionGuard(Http1Config http1, int maxConnections, Duration idleTimeout, Duration headerTimeout) {
        this.http1 = Http1ConnectionSelector.builder().config(http1).build();
        this.maxConnections = maxConnections;
        this.idleNanos = idleTimeout.toNanos();
        this.headerNanos = headerTimeout.toNanos();
        Duration period = (idleTimeout.compareTo(headerTimeout) < 0 ? idleTimeout : headerTimeout).dividedBy(4);
        long periodMillis = Math.clamp(period.toMillis(), 20, 1000);
        Thread.ofPlatform().daemon().name("connection-sweeper").start(() -> sweepEvery(periodMillis));
    }

    /** @return the receive listener: a complete request head makes its connection busy */
    static Http1ConnectionListener receiveListener() {
        return new Http1ConnectionListener() {
            @Override
            public void headers(ConnectionContext ctx, Headers headers) {
                GuardedConnection.of(ctx).ifPresent(GuardedConnection::headComplete);
            }
        };
    }

    /** @return the send listener: an answer makes its connection idle (separate: it also sees response headers) */
    static Http1ConnectionListener sendListener() {
        return new Http1ConnectionListener() {
            @Override
            public void status(ConnectionContext ctx, Status status) {
                GuardedConnection.of(ctx).ifPresent(GuardedConnection::answered);
            }
        };
    }

    @Override
    public int bytesToIdentifyConnection() {
        return 0;
    }

    @Override
    public Support supports(BufferData data) {
        return Support.SUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return http1.supportedApplicationProtocols();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        return new GuardedConnection(this, ctx);
    }

    ServerConnection http1(ConnectionContext ctx) {
        return http1.connection(ctx);
    }

    /**
     * Admits a new connection, making room by closing an idle or stalled one when the cap is reached.
     *
     * @return false when every open connection is busy: the caller answers 503 and closes
     */
    boolean admit(GuardedConnection connection) {
        open.add(connection);
        if (open.size() <= maxConnections) {
            return true;
        }
        Optional<GuardedConnection> victim = oldest(GuardedConnection::idleSince, connection)
                .or(() -> oldest(GuardedConnection::headSince, connection));
        victim.ifPresent(GuardedConnection::closeSocket);
        if (victim.isEmpty()) {
            open.remove(connection);
        }
        return victim.isPresent();
    }

    void leave(GuardedConnection connection) {
        open.remove(connection);
    }

    /**
     * Closes every connection that has waited at least {@code minIdle} for its next request (a handover:
     * their clients reconnect to the new worker). A connection idle for less may be about to carry a request.
     *
     * @return how many were closed
     */
    int closeIdle(Duration minIdle) {
        long now = System.nanoTime();
        int closed = 0;
        for (GuardedConnection connection : open) {
            long idle = connection.idleSince();
            if (idle != 0 && now - idle >= minIdle.toNanos()) {
                connection.closeSocket();
                closed++;
            }
        }
        return closed;
    }

    /** @return the number of connections open now */
    int openConnections() {
        return open.size();
    }

    private Optional<GuardedConnection> oldest(java.util.function.ToLongFunction<GuardedConnection> since,
                                               GuardedConnection except) {
        return open.stream()
                .filter(c -> c != except && since.applyAsLong(c) != 0)
                .min(Comparator.comparingLong(since));
    }

    private void sweepEvery(long periodMillis) {
        while (true) {
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (GuardedConnection connection : open) {
                long idle = connection.idleSince();
                long head = connection.headSince();
                if ((idle != 0 && now - idle > idleNanos) || (head != 0 && now - head > headerNanos)) {
                    connection.closeSocket();
                }
            }
        }
    }
}
