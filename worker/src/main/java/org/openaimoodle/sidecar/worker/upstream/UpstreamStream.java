package org.openaimoodle.sidecar.worker.upstream;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * The body of a streamed upstream answer, read as it arrives. Every read waits at most the idle timeout
 * ({@code SIDECAR_STREAM_IDLE_TIMEOUT}) — the watchdog interrupts the reading (virtual) thread, which closes the
 * socket — so an upstream that falls silent mid-stream cannot hold the request. The bytes read while the
 * exchange was opened (within the request deadline) come first. Closing before the end closes the connection,
 * which is how a client that went away aborts the upstream call.
 */
public final class UpstreamStream implements Closeable {
    private final InputStream in;
    private final Closeable onClose;
    private final Duration idleTimeout;
    private byte[] first;

    /**
     * @param in          the body
     * @param first       bytes already read from it (the first ones), or an empty array
     * @param idleTimeout the longest wait of one read
     * @param onClose     releases the exchange (closes the connection when the body was not read to its end)
     */
    UpstreamStream(InputStream in, byte[] first, Duration idleTimeout, Closeable onClose) {
        this.in = in;
        this.first = first;
        this.idleTimeout = idleTimeout;
        this.onClose = onClose;
    }

    /**
     * @param buffer where to put the bytes
     * @return how many bytes were read (at least 1), or -1 at the end of the body
     * @throws java.net.SocketTimeoutException when nothing arrived within the idle timeout
     * @throws IOException                     when the connection broke
     */
    public int read(byte[] buffer) throws IOException {
        if (first != null && first.length > 0) {
            int n = Math.min(first.length, buffer.length);
            System.arraycopy(first, 0, buffer, 0, n);
            first = n == first.length ? null : java.util.Arrays.copyOfRange(first, n, first.length);
            return n;
        }
        return ExchangeWatchdog.within(idleTimeout, () -> HelidonTransport.unwrapped(() -> in.read(buffer)));
    }

    /** @return the idle timeout, for messages */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    @Override
    public void close() throws IOException {
        onClose.close();
    }
}
