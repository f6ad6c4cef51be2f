package org.openaimoodle.sidecar.supervisor.supervision;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

import org.openaimoodle.sidecar.common.SharedSettings;

/**
 * {@code GET /health} over a plain socket with one overall timeout. A full HTTP client would cost the
 * supervisor start-up time and memory for the one request it ever makes; the status line and headers are
 * all a probe needs. Healthy means status 200 <em>from our worker</em>: the supervisor gives each worker a
 * random id ({@code SIDECAR_WORKER_ID}) that the worker echoes in the {@value #WORKER_ID_HEADER} header,
 * so that another process holding the port is reported as such, never taken for a healthy worker.
 */
public final class HealthProbe {
    /** The environment variable that carries a worker's id from the supervisor to the worker. */
    public static final String WORKER_ID_VARIABLE = SharedSettings.SIDECAR_WORKER_ID.name();
    /** The {@code /health} response header in which the worker echoes its id. */
    public static final String WORKER_ID_HEADER = "X-Sidecar-Worker-Id";
    /** The status line and headers read at most: a foreign server must not make us read more. */
    private static final int MAX_HEAD_BYTES = 8192;

    private final String host;
    private final int port;
    private final Duration timeout;

    /** How a probe went. */
    public enum Outcome {
        /** Our worker answered 200. */
        HEALTHY,
        /** No answer, a timeout, or an answer other than 200. */
        UNHEALTHY,
        /** A 200 without our worker's id: another process holds the port. */
        PORT_TAKEN,
        /**
         * A 200 from another worker of this supervisor: during a replacement two share the port, and the
         * kernel gives each connection to one of them.
         */
        OTHER_WORKER
    }

    /**
     * The outcome of one probe, how long it took, and a short description.
     *
     * @param answeredBy the worker id in the answer, or null
     */
    public record Result(Outcome outcome, long latencyMillis, String detail, String answeredBy) {
        public Result(Outcome outcome, long latencyMillis, String detail) {
            this(outcome, latencyMillis, detail, null);
        }

        /** Whether our worker answered 200. */
        public boolean healthy() {
            return outcome == Outcome.HEALTHY;
        }

        /** Whether another process answered on the port. */
        public boolean portTaken() {
            return outcome == Outcome.PORT_TAKEN;
        }
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

    /**
     * Probes once; never throws.
     *
     * @param expectedWorkerId the id of the worker we expect, or null when none of ours should run (then
     *                         any 200 is from another process)
     */
    public Result probe(String expectedWorkerId) {
        return probe(expectedWorkerId, java.util.Set.of());
    }

    /**
     * Probes once; never throws.
     *
     * @param expectedWorkerId the id of the worker we expect, or null
     * @param otherWorkerIds   ids of this supervisor's other workers on the port (a replacement): their answer
     *                         is {@link Outcome#OTHER_WORKER}, not a foreign process
     */
    public Result probe(String expectedWorkerId, java.util.Collection<String> otherWorkerIds) {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), remainingMillis(deadline));
            socket.setSoTimeout(remainingMillis(deadline));
            OutputStream out = socket.getOutputStream();
            out.write(("GET /health HTTP/1.1\r\nHost: " + host + ":" + port
                    + "\r\nAccept: application/json\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Head head = readHead(socket.getInputStream(), deadline, socket);
            long latency = (System.nanoTime() - started) / 1_000_000;
            String[] parts = head.statusLine().split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].equals("200")) {
                return new Result(Outcome.UNHEALTHY, latency, "/health answered '" + head.statusLine() + "'");
            }
            if (head.workerId() != null && otherWorkerIds.contains(head.workerId())) {
                return new Result(Outcome.OTHER_WORKER, latency, "health ok " + latency + " ms", head.workerId());
            }
            if (expectedWorkerId == null || !expectedWorkerId.equals(head.workerId())) {
                return new Result(Outcome.PORT_TAKEN, latency, portTakenMessage(host, port), head.workerId());
            }
            return new Result(Outcome.HEALTHY, latency, "health ok " + latency + " ms", head.workerId());
        } catch (SocketTimeoutException e) {
            return new Result(Outcome.UNHEALTHY, elapsedMillis(started), "/health did not answer within "
                    + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return new Result(Outcome.UNHEALTHY, elapsedMillis(started), "/health unreachable: " + e.getMessage());
        }
    }

    /** What status, check and the log say when another process answers on the worker's port. */
    public static String portTakenMessage(String host, int port) {
        String shownHost = host.contains(":") ? "[" + host + "]" : host;
        return "port " + shownHost + ":" + port + " is taken by another process (its /health answer is not from "
                + "this sidecar's worker); stop that process or choose another SIDECAR_PORT";
    }

    /** The status line and the worker id header, if any. */
    private record Head(String statusLine, String workerId) {
    }

    private static Head readHead(InputStream in, long deadline, Socket socket) throws IOException {
        String statusLine = null;
        String workerId = null;
        StringBuilder line = new StringBuilder();
        String idPrefix = WORKER_ID_HEADER.toLowerCase(Locale.ROOT) + ":";
        for (int read = 0; read < MAX_HEAD_BYTES; read++) {
            socket.setSoTimeout(remainingMillis(deadline));
            int next = in.read();
            if (next < 0 || next == '\n') {
                if (statusLine == null) {
                    statusLine = line.toString();
                } else if (line.isEmpty()) {
                    break; // end of the headers
                } else if (line.toString().toLowerCase(Locale.ROOT).startsWith(idPrefix)) {
                    workerId = line.substring(idPrefix.length()).trim();
                }
                if (next < 0) {
                    break;
                }
                line.setLength(0);
            } else if (next != '\r' && line.length() < 256) {
                line.append((char) next);
            }
        }
        if (statusLine == null || statusLine.isEmpty()) {
            throw new IOException("connection closed without an answer");
        }
        return new Head(statusLine, workerId);
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
