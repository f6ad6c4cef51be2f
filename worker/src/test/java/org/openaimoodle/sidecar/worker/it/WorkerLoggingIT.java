package org.openaimoodle.sidecar.worker.it;


import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.Ports;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/**
 * The worker's log under abuse, with real processes and sockets: a client cannot make it write more than a
 * line per bad connection, nor raw control characters, and a reader of its output that stops reading
 * (a SIGSTOPped supervisor) does not stop it answering.
 */
class WorkerLoggingIT {
    private static final String REQUEST = "{\"action\":\"chat\",\"message\":\"hi\",\"user_id\":\"42\"}";

    @TempDir
    Path dir;

    @Test
    void aClientClosingMidHeadersCostsOneShortLinePerConnection() throws Exception {
        int connections = 50;
        try (WorkerUnderTest worker = WorkerUnderTest.startHttp(dir, Map.of("SIDECAR_SUPERVISED", "1"), true)) {
            int before = worker.log().split("\n").length;
            for (int i = 0; i < connections; i++) {
                try (Socket socket = new Socket("127.0.0.1", worker.port())) {
                    socket.getOutputStream().write("POST /ai HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b".getBytes(
                            StandardCharsets.US_ASCII));
                }
            }
            worker.ai(REQUEST); // its access line comes after the lines of the closed connections
            await().atMost(Duration.ofSeconds(20)).until(() -> worker.log().contains("INFO access: action=chat"));
            List<String> lines = List.of(worker.log().split("\n"));
            List<String> added = lines.subList(before, lines.size());
            assertTrue(added.size() <= connections + 1, added.size() + " lines:\n" + String.join("\n", added));
            assertTrue(added.stream().noneMatch(line -> line.startsWith("\t") || line.startsWith("Caused by")),
                    "no stack trace");
            assertTrue(added.stream().allMatch(line -> line.length() < 400), "short lines");
        }
    }

    @Test
    void aChunkSizeLineWithEscapesAndFourMebibytesNeverReachesTheLogRaw() throws Exception {
        try (WorkerUnderTest worker = WorkerUnderTest.startHttp(dir, Map.of("SIDECAR_SUPERVISED", "1"), true)) {
            int before = worker.log().split("\n").length;
            sendChunked(worker.port(), "2e;\u001b[2J\n2026-01-01T00:00:00.000Z supervisor forged".getBytes(
                    StandardCharsets.UTF_8));
            byte[] huge = new byte[4 * 1024 * 1024 + 3];
            java.util.Arrays.fill(huge, (byte) 'B');
            huge[0] = '2';
            huge[1] = 'e';
            huge[2] = ';';
            sendChunked(worker.port(), huge);
            worker.ai(REQUEST);
            await().atMost(Duration.ofSeconds(20)).until(() -> worker.log().contains("INFO access: action=chat"));
            String log = worker.log();
            List<String> lines = List.of(log.split("\n"));
            List<String> added = lines.subList(before, lines.size());
            assertFalse(log.contains("\u001b"), "no raw ESC");
            assertTrue(added.stream().noneMatch(line -> line.contains("supervisor forged") && !line.contains("\\n")),
                    "the newline in the chunk line is escaped");
            assertTrue(added.stream().allMatch(line -> line.length() < 16 * 1024), "every line capped");
            // Both bodies are answered by /ai itself (400, bad framing): the chunk lines never reach the log raw.
            // How a Helidon warning that quotes such a line is escaped and cut is LineLayoutTest's part.
            assertEquals(2, added.stream().filter(line -> line.contains("code=invalid_request status=400")).count(),
                    String.join("\n", added));
        }
    }

    /** Sends a chunked request whose chunk-size line is {@code sizeLine}, and waits for the answer or close. */
    private static void sendChunked(int port, byte[] sizeLine) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /ai HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(sizeLine);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            try {
                socket.getInputStream().read(new byte[4096]);
            } catch (IOException e) {
                // closed or reset: either way the worker is done with it
            }
        }
    }

    @Test
    void aReaderThatStopsReadingTheOutputDoesNotStopTheWorkerAnswering() throws Exception {
        int port = Ports.free();
        ProcessBuilder builder = new ProcessBuilder(Checkout.WORKER_LAUNCHER.toString(), "--http-mode");
        builder.environment().keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("SIDECAR_"));
        builder.environment().putAll(Map.of("SIDECAR_PORT", Integer.toString(port), "SIDECAR_SUPERVISED", "1"));
        Process worker = builder.redirectErrorStream(true).start(); // stdout is a pipe nobody reads, for now
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            await("worker healthy").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> http.send(get(port, "/health"), HttpResponse.BodyHandlers.discarding()).statusCode()
                            == 200);
            // ~80 bytes per access line: a 64 KiB pipe is full after some 800 requests, the worker's queue
            // after some 4,900; beyond that lines are lost, but the requests are still answered.
            int requests = 6_000;
            long started = System.nanoTime();
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<Integer>> replies = new ArrayList<>();
                for (int i = 0; i < requests; i++) {
                    replies.add(clients.submit(() -> http.send(ai(port), HttpResponse.BodyHandlers.discarding())
                            .statusCode()));
                }
                for (Future<Integer> reply : replies) {
                    assertEquals(200, reply.get());
                }
            } finally {
                clients.shutdownNow(); // a failure must not wait for thousands of timeouts
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue(millis < 120_000, requests + " requests took " + millis + " ms");
            System.out.println(requests + " requests with the output unread: " + millis + " ms");

            // The reader reads again: what could not be written is counted, then lines flow again.
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            InputStream pipe = worker.getInputStream();
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    pipe.transferTo(output);
                } catch (IOException e) {
                    // the worker was killed
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> output.toString(StandardCharsets.UTF_8)
                    .matches("(?s).*WARN log: \\d+ log lines lost \\(output blocked\\)\n.*"));
            http.send(ai(port), HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(20)).until(() -> output.toString(StandardCharsets.UTF_8)
                    .split("lines lost")[1].contains("INFO access: action=chat"));
        } finally {
            worker.descendants().forEach(ProcessHandle::destroyForcibly);
            worker.destroyForcibly();
            worker.waitFor(10, TimeUnit.SECONDS);
            http.close();
        }
    }

    private static HttpRequest get(int port, String path) {
        return HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build();
    }

    private static HttpRequest ai(int port) {
        return HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/ai"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(REQUEST)).build();
    }
}
