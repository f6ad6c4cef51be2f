package org.openaimoodle.sidecar.supervisor.supervision;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * {@code GET /health} over a plain socket with one overall timeout. A full HTTP client would cost the
 * supervisor start-up time and memory for the one request it ever makes; reading the status line is
 * all a probe needs. Healthy means status 200.
 */
public final class HealthProbe {
    private final String host;
    private final int port;
    private final Duration timeout;

    /** The outcome of one probe: healthy or not, how long it took, and a short description. */
    public record Result(boolean healthy, long latencyMillis, String detail) {
    }

    /**
     * @param host    the worker's address ({@code SIDECAR_HOST})
     * @param port    the worker's port ({@code SIDECAR_PORT})
     * @param timeout the whole probe's deadline ({@code SIDECAR_HEALTH_TIMEOUT}): connect, send, read
     */
    public HealthProbe(String host, int port, Duration timeout) {
        this.host = host;
        this.port = port;
        this.timeout = timeout;
    }

    /** Probes once; never throws. */
    public Result probe() {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), remainingMillis(deadline));
            socket.setSoTimeout(remainingMillis(deadline));
            OutputStream out = socket.getOutputStream();
            out.write(("GET /health HTTP/1.1\r\nHost: " + host + ":" + port
                    + "\r\nAccept: application/json\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String statusLine = readStatusLine(socket.getInputStream(), deadline, socket);
            long latency = (System.nanoTime() - started) / 1_000_000;
            String[] parts = statusLine.split(" ", 3);
            if (parts.length >= 2 && parts[0].startsWith("HTTP/") && parts[1].equals("200")) {
                return new Result(true, latency, "health ok " + latency + " ms");
            }
            return new Result(false, latency, "/health answered '" + statusLine + "'");
        } catch (SocketTimeoutException e) {
            return new Result(false, elapsedMillis(started), "/health did not answer within "
                    + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return new Result(false, elapsedMillis(started), "/health unreachable: " + e.getMessage());
        }
    }

    private static String readStatusLine(InputStream in, long deadline, Socket socket) throws IOException {
        StringBuilder line = new StringBuilder();
        while (line.length() < 256) {
            socket.setSoTimeout(remainingMillis(deadline));
            int next = in.read();
            if (next < 0 || next == '\n') {
                break;
            }
            if (next != '\r') {
                line.append((char) next);
            }
        }
        if (line.isEmpty()) {
            throw new IOException("connection closed without an answer");
        }
        return line.toString();
    }

    private static int remainingMillis(long deadline) throws SocketTimeoutException {
        long remaining = (deadline - System.nanoTime()) / 1_000_000;
        if (remaining <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        return (int) Math.min(Integer.MAX_VALUE, remaining);
    }

    private static long elapsedMillis(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
