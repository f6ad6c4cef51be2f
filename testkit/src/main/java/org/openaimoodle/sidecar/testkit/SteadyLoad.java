package org.openaimoodle.sidecar.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Clients that send requests back to back until {@link #stop()}: {@code aiClients} POST {@code /ai} (half of them
 * on one keep-alive connection, reconnecting only when the server says {@code Connection: close} or closes; half
 * with a new connection per request, as the PHP plugin's curl does) and one client that GETs {@code /health}.
 * Plain sockets, so that nothing retries behind the test's back: every request is counted as answered 200, or
 * failed (any other status, a reset, a close without an answer, a timeout), and the first failures are kept.
 */
public final class SteadyLoad implements AutoCloseable {
    private static final int KEPT_FAILURES = 20;
    private static final int MAX_HEAD = 16 * 1024;

    private final int port;
    private final byte[] aiBody;
    private final Duration timeout;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final List<Thread> threads = new ArrayList<>();

    private SteadyLoad(int port, String aiBody, Duration timeout) {
        this.port = port;
        this.aiBody = aiBody.getBytes(StandardCharsets.UTF_8);
        this.timeout = timeout;
    }

    /**
     * Starts the clients at once.
     *
     * @param port      the sidecar's port on 127.0.0.1
     * @param aiClients clients sending {@code aiBody} to {@code /ai}
     * @param aiBody    the JSON request body
     * @param timeout   longest wait for one answer
     */
    public static SteadyLoad start(int port, int aiClients, String aiBody, Duration timeout) {
        SteadyLoad load = new SteadyLoad(port, aiBody, timeout);
        for (int i = 0; i < aiClients; i++) {
            boolean keepAlive = i % 2 == 0;
            load.threads.add(Thread.ofPlatform().daemon().name("load-ai-" + i).start(() -> load.run(true, keepAlive)));
        }
        load.threads.add(Thread.ofPlatform().daemon().name("load-health").start(() -> load.run(false, true)));
        return load;
    }

    /** Requests sent so far. */
    public long sent() {
        return sent.get();
    }

    /** Requests answered 200 so far. */
    public long ok() {
        return ok.get();
    }

    /** Requests that failed so far. */
    public long failed() {
        return failed.get();
    }

    /** The first failures, described. */
    public List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /** Stops sending and waits for every request in flight to be answered or fail (bounded by the timeout). */
    public void stop() {
        running.set(false);
        for (Thread thread : threads) {
            try {
                thread.join(timeout.plusSeconds(1).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** {@code sent 1234, ok 1234, failed 0}. */
    @Override
    public String toString() {
        return "sent " + sent() + ", ok " + ok() + ", failed " + failed() + (failures().isEmpty() ? ""
                : ", first failures " + failures());
    }

    private void run(boolean ai, boolean keepAlive) {
        Socket socket = null;
        while (running.get()) {
            sent.incrementAndGet();
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
                    socket.setSoTimeout((int) timeout.toMillis());
                }
                boolean close = !keepAlive;
                String head = (ai ? "POST /ai" : "GET /health") + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                        + (ai ? "Content-Type: application/json\r\nContent-Length: " + aiBody.length + "\r\n" : "")
                        + (close ? "Connection: close\r\n" : "") + "\r\n";
                OutputStream out = socket.getOutputStream();
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                if (ai) {
                    out.write(aiBody);
                }
                out.flush();
                Answer answer = read(socket.getInputStream());
                if (answer.status() == 200 && (!ai || !answer.body().contains("\"success\":false"))) {
                    ok.incrementAndGet();
                } else {
                    fail((ai ? "/ai" : "/health") + " answered " + answer.status() + " " + answer.body());
                }
                if (close || answer.closes()) {
                    socket.close();
                    socket = null;
                }
            } catch (IOException | RuntimeException e) {
                fail((ai ? "/ai" : "/health") + (keepAlive ? " (keep-alive)" : "") + ": " + e);
                closeQuietly(socket);
                socket = null;
            }
        }
        closeQuietly(socket);
    }

    private void fail(String why) {
        failed.incrementAndGet();
        synchronized (failures) {
            if (failures.size() < KEPT_FAILURES) {
                failures.add(why);
            }
        }
    }

    private record Answer(int status, boolean closes, String body) {
    }

    private static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last4 = 0;
        while (last4 != 0x0d0a0d0a) {
            int next = in.read();
            if (next < 0) {
                throw new IOException("connection closed " + (head.size() == 0 ? "without an answer" : "mid-answer"));
            }
            head.write(next);
            last4 = (last4 << 8) | next;
            if (head.size() > MAX_HEAD) {
                throw new IOException("answer head too long");
            }
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        int length = 0;
        boolean closes = false;
        for (String line : lines) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(lower.substring("content-length:".length()).trim());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                closes = true;
            }
        }
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            throw new IOException("connection closed mid-body");
        }
        return new Answer(status, closes, new String(body, StandardCharsets.UTF_8));
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // gone already
            }
        }
    }
}
