package org.openaimoodle.sidecar.worker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.MetricsText;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerWithFakeUpstream;

/**
 * {@code GET /metrics} of a real worker over real sockets: the counters equal what the test sent (requests by
 * action and code, tokens of the fake upstream's usage, retries, cache lookups, limit refusals, usage records the
 * store could not take), the histogram has its buckets, no user id shows, and the token is not needed. One worker
 * for the class: each test compares the counters before and after what it sent, with user ids of its own.
 */
class MetricsIT {
    /** The fake upstream's usage of every text answer. */
    private static final int PROMPT_TOKENS = 10;
    private static final int COMPLETION_TOKENS = 5;
    private static final Duration COUNTED = Duration.ofSeconds(10);
    /** The usage store cannot be created below a plain file: every record fails and is counted. */
    private static final Path UNWRITABLE_STORE = plainFile().resolve("usage.db");

    @RegisterExtension
    static final WorkerWithFakeUpstream fixture = new WorkerWithFakeUpstream(Map.of(
            "SIDECAR_REQUEST_TIMEOUT", "10",
            "SIDECAR_TOKEN", TestKeys.TOKEN,
            "SIDECAR_LIMIT_USER_REQUESTS", "2/1h",
            "SIDECAR_METRICS_MAX_MODELS", "2",
            "SIDECAR_USAGE_DB", UNWRITABLE_STORE.toString()));

    private static Path plainFile() {
        try {
            Path file = Files.createTempFile("metrics-it", ".plain");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static HttpResponse<String> ai(String action, String content, String user) throws Exception {
        return fixture.worker().post("/ai", "{\"action\":\"" + action + "\",\"content\":\"" + content
                + "\",\"user_id\":\"" + user + "\"}", "Authorization", "Bearer " + TestKeys.TOKEN);
    }

    private static HttpResponse<String> v1(String model, String user) throws Exception {
        return fixture.worker().post("/v1/chat/completions", "{\"model\":\"" + model + "\",\"user\":\"" + user
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "Authorization",
                "Bearer " + TestKeys.TOKEN);
    }

    private static MetricsText scrape() {
        return MetricsText.scrape("http://127.0.0.1:" + fixture.worker().port());
    }

    /** Waits until the counter has grown by {@code expected} since {@code before} (replies come before counts). */
    private static void awaitDelta(MetricsText before, double expected, String name, String... labels) {
        await().atMost(COUNTED).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> assertEquals(expected,
                scrape().value(name, labels) - before.value(name, labels), name + " " + String.join(",", labels)));
    }

    @Test
    void requestsAreCountedByEndpointActionAndCode() throws Exception {
        MetricsText before = scrape();
        WorkerHttpIT.okReply(ai("chat", "what is a cell", "req-user-1"));
        WorkerHttpIT.okReply(ai("chat", "what is a cell", "req-user-2"));
        WorkerHttpIT.okReply(ai("summarize", "a page counted once", "req-user-1"));
        WorkerHttpIT.failure(ai("chat", "", "req-user-3"), 200, "invalid_request");
        WorkerHttpIT.failure(ai("frobnicate", "x", "req-user-3"), 200, "unknown_action");

        awaitDelta(before, 2, "sidecar_requests_total", "endpoint", "ai", "action", "chat", "code", "ok");
        awaitDelta(before, 1, "sidecar_requests_total", "endpoint", "ai", "action", "summarize", "code", "ok");
        awaitDelta(before, 1, "sidecar_requests_total", "endpoint", "ai", "action", "chat", "code",
                "invalid_request");
        // An action nobody knows is "other": a client cannot make a new series.
        awaitDelta(before, 1, "sidecar_requests_total", "endpoint", "ai", "action", "other", "code",
                "unknown_action");
        MetricsText after = scrape();
        assertFalse(after.text().contains("frobnicate"), after.text());
        assertEquals(3, after.value("sidecar_upstream_attempts_total", "outcome", "ok")
                - before.value("sidecar_upstream_attempts_total", "outcome", "ok"));
    }

    @Test
    void theDurationHistogramHasEveryBucketAndCountsEachRequest() throws Exception {
        MetricsText before = scrape();
        WorkerHttpIT.okReply(ai("analyze", "a histogram page", "histogram-user"));
        awaitDelta(before, 1, "sidecar_request_duration_seconds_count", "endpoint", "ai", "action", "analyze");
        MetricsText after = scrape();
        for (String bound : new String[] {"0.01", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "25.0",
                "60.0", "+Inf"}) {
            assertTrue(after.samples().containsKey("sidecar_request_duration_seconds_bucket{action=\"analyze\","
                    + "endpoint=\"ai\",le=\"" + bound + "\"}"), bound + " missing in\n" + after.text());
        }
        assertEquals(after.value("sidecar_request_duration_seconds_count", "endpoint", "ai", "action", "analyze"),
                after.value("sidecar_request_duration_seconds_bucket", "endpoint", "ai", "action", "analyze", "le",
                        "+Inf"));
        assertTrue(after.value("sidecar_request_duration_seconds_sum", "endpoint", "ai", "action", "analyze") > 0);
    }

    @Test
    void tokensAreTheUpstreamsCountsByKindAndBoundedModel() throws Exception {
        MetricsText before = scrape();
        WorkerHttpIT.okReply(ai("chat", "tokens please", "token-user-1"));
        assertEquals(200, v1("gpt-4o", "token-user-2").statusCode());
        assertEquals(200, v1("a-third-model-beyond-the-bound", "token-user-3").statusCode());

        awaitDelta(before, PROMPT_TOKENS, "sidecar_tokens_total", "kind", "prompt", "model", "gpt-4o-mini");
        awaitDelta(before, COMPLETION_TOKENS, "sidecar_tokens_total", "kind", "completion", "model", "gpt-4o-mini");
        awaitDelta(before, PROMPT_TOKENS, "sidecar_tokens_total", "kind", "prompt", "model", "gpt-4o");
        // SIDECAR_METRICS_MAX_MODELS=2: the third model counts as "other".
        awaitDelta(before, COMPLETION_TOKENS, "sidecar_tokens_total", "kind", "completion", "model", "other");
        awaitDelta(before, 2, "sidecar_requests_total", "endpoint", "v1", "action", "v1", "code", "ok");
        assertFalse(scrape().text().contains("a-third-model"));
    }

    @Test
    void retriesOfAFailingUpstreamAreCountedAsAttempts() throws Exception {
        fixture.upstream().enqueue(FakeAnswer.error(503, "overloaded"), FakeAnswer.error(503, "overloaded"),
                FakeAnswer.text("third time lucky"));
        MetricsText before = scrape();
        assertEquals("third time lucky",
                WorkerHttpIT.okReply(ai("chat", "retry me", "retry-user")).path("data").asText());
        assertEquals(3, fixture.upstream().received().size());
        awaitDelta(before, 2, "sidecar_upstream_attempts_total", "outcome", "server_error");
        awaitDelta(before, 1, "sidecar_upstream_attempts_total", "outcome", "ok");
        awaitDelta(before, 1, "sidecar_requests_total", "endpoint", "ai", "action", "chat", "code", "ok");
    }

    @Test
    void cacheHitsMissesAndCoalescedRequestsAreCounted() throws Exception {
        MetricsText before = scrape();
        for (int user = 1; user <= 2; user++) {
            WorkerHttpIT.okReply(ai("summarize", "the page on photosynthesis", "cache-user-" + user));
        }
        awaitDelta(before, 1, "sidecar_cache_requests_total", "result", "miss");
        awaitDelta(before, 1, "sidecar_cache_requests_total", "result", "hit");

        fixture.upstream().defaultAnswer(FakeAnswer.text("shared").after(Duration.ofMillis(1500)));
        MetricsText beforeBurst = scrape();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int user = 0; user < 5; user++) {
            replies.add(http.sendAsync(HttpRequest.newBuilder(fixture.worker().uri("/ai"))
                    .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + TestKeys.TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"summarize\",\"content\":\"one page at "
                            + "once\",\"user_id\":\"burst-user-" + user + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> reply : replies) {
            WorkerHttpIT.okReply(reply.get(60, TimeUnit.SECONDS));
        }
        assertEquals(2, fixture.upstream().received().size());
        awaitDelta(beforeBurst, 1, "sidecar_cache_requests_total", "result", "miss");
        MetricsText after = scrape();
        double coalesced = after.value("sidecar_cache_requests_total", "result", "coalesced")
                - beforeBurst.value("sidecar_cache_requests_total", "result", "coalesced");
        double hits = after.value("sidecar_cache_requests_total", "result", "hit")
                - beforeBurst.value("sidecar_cache_requests_total", "result", "hit");
        // The four that came while the first waited 1.5 s for the upstream joined its call.
        assertEquals(4, coalesced + hits, after.text());
        assertTrue(coalesced >= 1, after.text());
    }

    @Test
    void limitRefusalsAreCountedByLimit() throws Exception {
        MetricsText before = scrape();
        WorkerHttpIT.okReply(ai("chat", "one", "limited-user"));
        WorkerHttpIT.okReply(ai("chat", "two", "limited-user"));
        WorkerHttpIT.failure(ai("chat", "three", "limited-user"), 200, "quota_exceeded");
        awaitDelta(before, 1, "sidecar_limit_rejections_total", "limit", "user_requests");
        awaitDelta(before, 1, "sidecar_requests_total", "endpoint", "ai", "action", "chat", "code", "quota_exceeded");
        assertEquals(0, scrape().value("sidecar_limit_rejections_total", "limit", "site_requests"));
    }

    @Test
    void requestsInFlightAreShownWhileTheUpstreamIsSlow() throws Exception {
        fixture.upstream().enqueue(FakeAnswer.text("slow").after(Duration.ofMillis(2000)));
        CompletableFuture<HttpResponse<String>> reply = CompletableFuture.supplyAsync(() -> {
            try {
                return ai("chat", "take your time", "slow-user");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(COUNTED).pollInterval(Duration.ofMillis(50))
                .until(() -> scrape().value("sidecar_in_flight_requests") == 1);
        WorkerHttpIT.okReply(reply.get(30, TimeUnit.SECONDS));
        await().atMost(COUNTED).pollInterval(Duration.ofMillis(50))
                .until(() -> scrape().value("sidecar_in_flight_requests") == 0);
    }

    @Test
    void usageRecordsTheStoreCannotTakeAreCounted() throws Exception {
        MetricsText before = scrape();
        WorkerHttpIT.okReply(ai("chat", "an unstored one", "store-user"));
        WorkerHttpIT.okReply(ai("chat", "an unstored two", "store-user"));
        await().atMost(COUNTED).pollInterval(Duration.ofMillis(50)).until(() ->
                scrape().value("sidecar_usage_write_failures_total")
                        - before.value("sidecar_usage_write_failures_total") >= 2);
    }

    @Test
    void noUserIdAppearsAnywhereInTheMetrics() throws Exception {
        String aiUser = "u-7f3a9c-secret-moodle-user";
        String v1User = "hash-d41d8cd98f00b204e9800998ecf8427e";
        WorkerHttpIT.okReply(ai("chat", "who am I", aiUser));
        assertEquals(200, v1("gpt-4o", v1User).statusCode());
        WorkerHttpIT.failure(ai("chat", "", aiUser), 200, "invalid_request");
        // The access lines (written after the counts) show the ids were sent and seen.
        await().atMost(COUNTED).until(() -> fixture.worker().log().contains("user_id=" + v1User));
        String text = scrape().text();
        assertTrue(MetricsText.parse(text).has("sidecar_requests_total"), text);
        assertFalse(text.contains(aiUser), text);
        assertFalse(text.contains("7f3a9c"), text);
        assertFalse(text.contains(v1User), text);
        assertFalse(text.contains("user="), "no label names a user:\n" + text);
        assertFalse(text.contains("user_id"), text);
    }

    @Test
    void metricsAnswerWithoutTheTokenThatAiRequires() throws Exception {
        HttpResponse<String> metrics = fixture.worker().get("/metrics");
        assertEquals(200, metrics.statusCode(), metrics.body());
        assertEquals("text/plain; version=0.0.4; charset=utf-8",
                metrics.headers().firstValue("Content-Type").orElse(""));
        // The series with labels of a request appear with the first request; these are there from the start.
        for (String name : new String[] {"sidecar_upstream_attempts_total",
                "sidecar_cache_requests_total", "sidecar_limit_rejections_total", "sidecar_in_flight_requests",
                "sidecar_usage_write_failures_total", "sidecar_worker_restarts_total",
                "sidecar_worker_start_time_seconds"}) {
            assertTrue(metrics.body().contains("# TYPE " + name + " "), name + " missing in\n" + metrics.body());
        }
        MetricsText parsed = MetricsText.parse(metrics.body());
        assertEquals(0, parsed.value("sidecar_worker_restarts_total")); // not supervised
        double started = parsed.value("sidecar_worker_start_time_seconds");
        double now = System.currentTimeMillis() / 1000.0;
        assertTrue(started > now - 600 && started <= now, "start time " + started);
        // The token guards what costs money; without it /ai is refused, /metrics is not.
        HttpResponse<String> ai = fixture.worker().ai("{\"action\":\"chat\",\"content\":\"hi\"}");
        assertEquals(401, ai.statusCode(), ai.body());
        assertEquals(405, fixture.worker().post("/metrics", "{}").statusCode());
    }
}
