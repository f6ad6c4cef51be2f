package org.openaimoodle.sidecar.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Figure 2: sends N POST /ai requests at once, each on its own connection and virtual thread, and
 * counts replies that are real successes ({@code /ai} answers 200 even when the action failed, so the
 * body is checked for {@code "success":true}). Reports how many were in flight at the peak, the time
 * until the last reply, and client-side latency percentiles, as one {@code key=value} line.
 *
 * <p>Usage: {@code LoadClient PORT REQUESTS BODY_FILE TIMEOUT_SECONDS [PATH MARKER [HEADER...]]} (default
 * {@code /ai} and {@code "success":true}; the fake upstream alone is {@code /v1/chat/completions "choices"}; each
 * HEADER is one {@code Name: value} line, e.g. the routing headers of the Portkey gateway). Raw sockets instead of
 * java.net.http: one connection per request is exactly what the Moodle plugin does, and it keeps the
 * client's own overhead out of the figure.
 */
public final class LoadClient {
    private final int port;
    private final byte[] request;
    private final int timeoutMillis;
    private final String marker;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakInFlight = new AtomicInteger();
    private final AtomicInteger successes = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();
    private final List<String> firstErrors = new ArrayList<>();

    private LoadClient(int port, byte[] body, int timeoutMillis, String path, String marker, List<String> headers) {
        this.port = port;
        this.timeoutMillis = timeoutMillis;
        this.marker = marker;
        String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n"
                + headers.stream().map(header -> header + "\r\n").reduce("", String::concat) + "\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        this.request = Arrays.copyOf(headBytes, headBytes.length + body.length);
        System.arraycopy(body, 0, request, headBytes.length, body.length);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4 && args.length < 6) {
            System.err.println("usage: LoadClient PORT REQUESTS BODY_FILE TIMEOUT_SECONDS [PATH MARKER [HEADER...]]");
            System.exit(2);
        }
        boolean pathGiven = args.length >= 6;
        LoadClient client = new LoadClient(Integer.parseInt(args[0]), Files.readAllBytes(Path.of(args[2])),
                Integer.parseInt(args[3]) * 1000, pathGiven ? args[4] : "/ai",
                pathGiven ? args[5] : "\"success\":true",
                pathGiven ? List.of(args).subList(6, args.length) : List.of());
        client.run(Integer.parseInt(args[1]));
    }

    private void run(int requests) throws InterruptedException {
        AtomicLongArray latencyMicros = new AtomicLongArray(requests);
        CountDownLatch done = new CountDownLatch(requests);
        long start = System.nanoTime();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < requests; i++) {
                int index = i;
                executor.submit(() -> {
                    long sent = System.nanoTime();
                    send();
                    latencyMicros.set(index, (System.nanoTime() - sent) / 1_000);
                    done.countDown();
                });
            }
            done.await();
        }
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        long[] sorted = new long[requests];
        for (int i = 0; i < requests; i++) {
            sorted[i] = latencyMicros.get(i);
        }
        Arrays.sort(sorted);
        System.out.printf("requests=%d successes=%d failures=%d peak_in_flight=%d elapsed_ms=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f%n",
                requests, successes.get(), failures.get(), peakInFlight.get(), elapsedMillis,
                percentile(sorted, 50) / 1000.0, percentile(sorted, 99) / 1000.0, sorted[requests - 1] / 1000.0);
        synchronized (firstErrors) {
            firstErrors.forEach(error -> System.err.println("LoadClient: " + error));
        }
    }

    /** One request on its own connection; in flight from the moment it is written until its reply is read. */
    private void send() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            peakInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            String reply;
            try {
                reply = readReply(socket.getInputStream());
            } finally {
                inFlight.decrementAndGet();
            }
            if (reply.startsWith("HTTP/1.1 200") && reply.contains(marker)) {
                successes.incrementAndGet();
            } else {
                fail(reply.lines().findFirst().orElse("empty reply") + " " + tail(reply));
            }
        } catch (IOException e) {
            fail(e.toString());
        }
    }

    private void fail(String error) {
        failures.incrementAndGet();
        synchronized (firstErrors) {
            if (firstErrors.size() < 5) {
                firstErrors.add(error);
            }
        }
    }

    /**
     * Reads one HTTP/1.1 response: headers, then a Content-Length body or a chunked one up to its last
     * chunk. Not until EOF: a server may keep the connection open despite {@code Connection: close}.
     */
    private static String readReply(InputStream in) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
        int headerEnd = -1;
        byte[] chunk = new byte[4096];
        while (true) {
            String text = buffer.toString(StandardCharsets.ISO_8859_1);
            if (headerEnd < 0) {
                headerEnd = text.indexOf("\r\n\r\n");
            }
            if (headerEnd >= 0 && complete(text, headerEnd + 4)) {
                return buffer.toString(StandardCharsets.UTF_8);
            }
            int read = in.read(chunk);
            if (read < 0) {
                return buffer.toString(StandardCharsets.UTF_8);
            }
            buffer.write(chunk, 0, read);
        }
    }

    private static boolean complete(String reply, int bodyStart) {
        String headers = reply.substring(0, bodyStart).toLowerCase(Locale.ROOT);
        int length = headers.indexOf("\r\ncontent-length:");
        if (length >= 0) {
            int end = headers.indexOf("\r\n", length + 2);
            int expected = Integer.parseInt(headers.substring(length + 17, end).strip());
            return reply.length() - bodyStart >= expected;
        }
        if (headers.contains("\r\ntransfer-encoding: chunked")) {
            return reply.endsWith("\r\n0\r\n\r\n") || reply.substring(bodyStart).startsWith("0\r\n\r\n");
        }
        return false;
    }

    private static String tail(String reply) {
        int body = reply.indexOf("\r\n\r\n");
        String text = body < 0 ? reply : reply.substring(body + 4);
        return text.length() > 200 ? text.substring(0, 200) : text;
    }

    private static long percentile(long[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
