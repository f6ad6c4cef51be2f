package org.openaimoodle.sidecar.worker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.MisbehavingUpstream;
import org.openaimoodle.sidecar.testkit.MisbehavingUpstream.Behaviour;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/**
 * HTTP mode (a real worker through the launcher, its default heap) against upstreams that misbehave on the
 * socket: every request is answered in the envelope within the deadline (2 s here, + 1.5 s margin) as
 * {@code upstream_timeout}, and an answer over {@code SIDECAR_MAX_UPSTREAM_REPLY_BYTES} (default 4 MiB) is
 * {@code upstream_error} with an access line, never an OutOfMemoryError.
 */
class UpstreamBoundsIT {
    static final int DEFAULT_MAX_REPLY = 4 * 1024 * 1024;
    static final long DEADLINE_MILLIS = 2000;
    static final long MARGIN_MILLIS = 1500;

    @TempDir
    Path dir;

    private WorkerUnderTest worker(String baseUrl) throws Exception {
        return WorkerUnderTest.startHttp(dir, Map.of("OPENAI_API_KEY", TestKeys.API_KEY, "OPENAI_BASE_URL",
                baseUrl, "SIDECAR_REQUEST_TIMEOUT", "2", "SIDECAR_CONNECT_TIMEOUT", "5"), false);
    }

    private record Timed(int status, JsonNode reply, long millis) {
        String code() {
            return reply.path("code").asText();
        }
    }

    private static Timed chat(WorkerUnderTest worker) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = worker.ai("{\"action\":\"chat\",\"content\":\"Hello\",\"user_id\":7}");
        return new Timed(response.statusCode(), WorkerHttpIT.JSON.readTree(response.body()),
                (System.nanoTime() - start) / 1_000_000);
    }

    private void assertTimeoutWithinTheDeadline(String baseUrl) throws Exception {
        try (WorkerUnderTest worker = worker(baseUrl)) {
            Timed result = chat(worker);
            assertEquals(200, result.status(), result.reply().toString());
            assertEquals("upstream_timeout", result.code(), result.reply().toString());
            assertTrue(result.millis() < DEADLINE_MILLIS + MARGIN_MILLIS, "answered after " + result.millis() + " ms");
            assertEquals(200, worker.get("/health").statusCode());
        }
    }

    @Test
    void tricklingHeadersEndAtTheDeadline() throws Exception {
        try (MisbehavingUpstream upstream = MisbehavingUpstream.start(Behaviour.TRICKLE_HEADERS)) {
            assertTimeoutWithinTheDeadline(upstream.baseUrl());
        }
    }

    @Test
    void tricklingBodyEndsAtTheDeadline() throws Exception {
        try (MisbehavingUpstream upstream = MisbehavingUpstream.start(Behaviour.TRICKLE_BODY)) {
            assertTimeoutWithinTheDeadline(upstream.baseUrl());
        }
    }

    @Test
    void tlsThatNeverCompletesEndsAtTheDeadline() throws Exception {
        try (MisbehavingUpstream upstream = MisbehavingUpstream.start(Behaviour.SILENT)) {
            assertTimeoutWithinTheDeadline(upstream.httpsBaseUrl());
        }
    }

    @Test
    void blackholedConnectEndsAtTheDeadlineNotAtTheConnectTimeout() throws Exception {
        try (MisbehavingUpstream upstream = MisbehavingUpstream.start(Behaviour.BLACKHOLE)) {
            assertTimeoutWithinTheDeadline(upstream.baseUrl());
        }
    }

    @Test
    void underLoadEveryRequestIsATimeoutWithinTheDeadline() throws Exception {
        try (MisbehavingUpstream upstream = MisbehavingUpstream.start(Behaviour.SILENT);
             WorkerUnderTest worker = worker(upstream.httpsBaseUrl())) {
            List<Future<Timed>> results = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 200; i++) {
                    results.add(pool.submit(() -> chat(worker)));
                }
            }
            long slowest = 0;
            for (Future<Timed> result : results) {
                Timed timed = result.get();
                assertEquals("upstream_timeout", timed.code(), timed.reply().toString());
                slowest = Math.max(slowest, timed.millis());
            }
            // The worker's own time per request (from its access lines) is what the deadline bounds. 200 TLS
            // handshakes started at once are CPU work that no interrupt cuts short, so under load on a shared
            // 2-core machine both get a wider margin than a single request; the client's adds its own queueing.
            // The access lines are written asynchronously: wait for all 200 rather than read the log at once.
            java.util.regex.Pattern line = java.util.regex.Pattern.compile(
                    "code=upstream_timeout status=200 duration_ms=(\\d+)");
            List<Long> durations = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> line.matcher(worker.log()).results().map(m -> Long.parseLong(m.group(1))).toList(),
                            found -> found.size() >= 200);
            assertEquals(200, durations.size(), worker.log());
            long slowestInWorker = durations.stream().mapToLong(Long::longValue).max().orElseThrow();
            assertTrue(slowestInWorker < DEADLINE_MILLIS + 2 * MARGIN_MILLIS, "worker took up to " + slowestInWorker
                    + " ms; the client saw up to " + slowest + " ms; in log order: " + durations);
            assertTrue(slowest < DEADLINE_MILLIS + 4 * MARGIN_MILLIS, "client saw up to " + slowest + " ms, the worker "
                    + slowestInWorker + " ms");
        }
    }

    @Test
    void hundredMegabyteAnswerIsUpstreamErrorInTheEnvelopeWithAnAccessLine() throws Exception {
        for (Behaviour behaviour : List.of(Behaviour.SIZED_BODY, Behaviour.SIZED_CHUNKED_BODY)) {
            try (MisbehavingUpstream upstream = MisbehavingUpstream.sized(behaviour, 100L * 1024 * 1024);
                 WorkerUnderTest worker = worker(upstream.baseUrl())) {
                Timed result = chat(worker);
                assertEquals(200, result.status(), behaviour + ": " + result.reply());
                assertEquals("upstream_error", result.code(), behaviour + ": " + result.reply());
                assertTrue(result.reply().path("error").asText().contains("SIDECAR_MAX_UPSTREAM_REPLY_BYTES"),
                        result.reply().toString());
                assertEquals(1, upstream.connections(), behaviour + ": no retry");
                assertEquals(200, worker.get("/health").statusCode());
                // The access line follows the reply: wait for it rather than race it.
                await().atMost(Duration.ofSeconds(5)).until(() -> worker.log()
                        .contains("access: action=chat user_id=7 code=upstream_error status=200"));
                assertTrue(!worker.log().contains("OutOfMemoryError"), worker.log());
            }
        }
    }

    @Test
    void answersOfExactlyTheDefaultBoundAreServedOneAfterAnother() throws Exception {
        try (MisbehavingUpstream upstream = MisbehavingUpstream.sized(Behaviour.SIZED_CHUNKED_BODY, DEFAULT_MAX_REPLY);
             WorkerUnderTest worker = worker(upstream.baseUrl())) {
            for (int i = 0; i < 3; i++) {
                Timed result = chat(worker);
                assertEquals(MisbehavingUpstream.contentChars(DEFAULT_MAX_REPLY),
                        result.reply().path("data").asText().length(), result.code());
            }
            assertTrue(!worker.log().contains("OutOfMemoryError"));
        }
    }

    @Test
    void malformedUtf8BodyIsInvalidJson() throws Exception {
        try (MisbehavingUpstream upstream = MisbehavingUpstream.start(Behaviour.SILENT);
             WorkerUnderTest worker = worker(upstream.baseUrl())) {
            byte[] request = overlongSlashRequest();
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + worker.port() + "/ai")).header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(request)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, response.statusCode(), response.body());
            assertEquals("invalid_json", WorkerHttpIT.JSON.readTree(response.body()).path("code").asText());
            assertEquals(0, upstream.connections(), "nothing reached upstream");
        }
    }

    /** @return a chat request whose content holds {@code C0 AF}, an overlong (malformed) UTF-8 form of '/' */
    static byte[] overlongSlashRequest() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes("{\"action\":\"chat\",\"content\":\"..".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.write(0xC0);
        out.write(0xAF);
        out.writeBytes("etc/passwd\"}".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
