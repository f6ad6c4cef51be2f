package org.openaimoodle.sidecar.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/**
 * Each usage limit reached exactly, over /ai and /v1, by real worker processes against the fake upstream (every
 * answer costs 15 tokens): the refused request never reaches the upstream, other users are not affected, and 200
 * concurrent requests of one user against a limit of 10 serve exactly 10. One worker per combination of limits;
 * the cache is off so that every served request is an upstream call.
 */
class UsageLimitsIT {
    static FakeUpstream upstream;
    static final List<WorkerUnderTest> workers = new ArrayList<>();

    @BeforeAll
    static void startUpstream() throws Exception {
        upstream = FakeUpstream.start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (WorkerUnderTest worker : workers) {
            worker.close();
        }
        upstream.close();
    }

    @BeforeEach
    void reset() {
        upstream.reset();
    }

    static WorkerUnderTest worker(Map<String, String> limits) throws Exception {
        Map<String, String> env = new HashMap<>(limits);
        env.put("OPENAI_API_KEY", TestKeys.API_KEY);
        env.put("OPENAI_BASE_URL", upstream.baseUrl());
        env.put("SIDECAR_CACHE_TTL", "0");
        WorkerUnderTest worker = WorkerUnderTest.startHttp(Files.createTempDirectory("limits-it"), env, false);
        workers.add(worker);
        return worker;
    }

    static HttpResponse<String> ai(WorkerUnderTest worker, String user) throws Exception {
        return worker.ai("{\"action\":\"chat\",\"content\":\"hello\",\"user_id\":" + user + "}");
    }

    static HttpResponse<String> v1(WorkerUnderTest worker, String user) throws Exception {
        return worker.post("/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"user\":\"" + user
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}");
    }

    static void served(HttpResponse<String> response) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        JsonNode reply = WorkerHttpIT.JSON.readTree(response.body());
        assertTrue(reply.path("success").asBoolean() || reply.has("choices"), response.body());
    }

    /** @return the /ai refusal's message, after checking its shape: 200, success false, quota_exceeded */
    static String refusedOverAi(HttpResponse<String> response) throws Exception {
        JsonNode reply = WorkerHttpIT.failure(response, 200, "quota_exceeded");
        String message = reply.path("error").asText();
        assertTrue(message.startsWith("Usage limit reached: ") && message.contains("try again in "), message);
        return message;
    }

    /** @return the /v1 refusal's message, after checking its shape: 429, Retry-After, OpenAI's error */
    static String refusedOverV1(HttpResponse<String> response) throws Exception {
        assertEquals(429, response.statusCode(), response.body());
        long retryAfter = Long.parseLong(response.headers().firstValue("retry-after").orElse("-1"));
        assertTrue(retryAfter >= 1 && retryAfter <= 3600, "Retry-After " + retryAfter);
        JsonNode error = WorkerHttpIT.JSON.readTree(response.body()).path("error");
        assertEquals("quota_exceeded", error.path("code").asText(), response.body());
        assertEquals("rate_limit_error", error.path("type").asText(), response.body());
        assertTrue(error.path("message").asText().contains("try again in "), response.body());
        return error.path("message").asText();
    }

    @Test
    void userRequestsAreCountedPerUserOverAiAndV1AndTheRefusedNeverGoUpstream() throws Exception {
        WorkerUnderTest worker = requestsWorker();
        for (int i = 0; i < 10; i++) {
            served(ai(worker, "42"));
        }
        String message = refusedOverAi(ai(worker, "42"));
        assertTrue(message.contains("your requests (10 per hour)") && message.contains("6 minutes"), message);
        assertEquals(10, upstream.received().size());
        served(ai(worker, "43")); // another user is not affected
        for (int i = 0; i < 10; i++) {
            served(v1(worker, "moodle-user-hash"));
        }
        refusedOverV1(v1(worker, "moodle-user-hash"));
        refusedOverAi(ai(worker, "\"moodle-user-hash\"")); // one identity for /ai's user_id and /v1's user
        assertEquals(21, upstream.received().size());
        for (int i = 0; i < 10; i++) {
            served(ai(worker, "null")); // no user: counted as anonymous
        }
        refusedOverV1(worker.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
        assertEquals(31, upstream.received().size());
    }

    @Test
    void twoHundredConcurrentRequestsOfOneUserAgainstALimitOfTenServeExactlyTen() throws Exception {
        WorkerUnderTest worker = requestsWorker();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            replies.add(http.sendAsync(HttpRequest.newBuilder(worker.uri("/ai")).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":7}"))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        int served = 0;
        int refused = 0;
        for (CompletableFuture<HttpResponse<String>> reply : replies) {
            HttpResponse<String> response = reply.get(90, TimeUnit.SECONDS);
            JsonNode body = WorkerHttpIT.JSON.readTree(response.body());
            if (body.path("success").asBoolean()) {
                served++;
            } else if ("quota_exceeded".equals(body.path("code").asText())) {
                refused++;
            }
        }
        assertEquals(10, served);
        assertEquals(190, refused);
        assertEquals(10, upstream.received().size());
    }

    private static WorkerUnderTest requestsWorker;

    static synchronized WorkerUnderTest requestsWorker() throws Exception {
        if (requestsWorker == null) {
            requestsWorker = worker(Map.of("SIDECAR_LIMIT_USER_REQUESTS", "10/1h"));
        }
        return requestsWorker;
    }

    @Test
    void tokenLimitsRefuseOnceUsedUpPerUserAndForTheSite() throws Exception {
        WorkerUnderTest worker = worker(Map.of("SIDECAR_LIMIT_USER_TOKENS", "30/1h",
                "SIDECAR_LIMIT_SITE_TOKENS", "90/1h"));
        served(ai(worker, "1"));
        served(ai(worker, "1")); // 30 tokens used: nothing left
        assertTrue(refusedOverAi(ai(worker, "1")).contains("your tokens (30 per hour)"));
        served(v1(worker, "two"));
        served(v1(worker, "two"));
        assertTrue(refusedOverV1(v1(worker, "two")).contains("your tokens"));
        served(ai(worker, "3"));
        served(ai(worker, "3")); // 90 tokens of the site used
        assertTrue(refusedOverAi(ai(worker, "4")).contains("the site's tokens (90 per hour)"));
        assertTrue(refusedOverV1(v1(worker, "five")).contains("the site's tokens"));
        assertEquals(6, upstream.received().size());
    }

    @Test
    void siteRequestsCountEveryUserTogether() throws Exception {
        WorkerUnderTest worker = worker(Map.of("SIDECAR_LIMIT_SITE_REQUESTS", "4/1h"));
        served(ai(worker, "1"));
        served(ai(worker, "2"));
        served(v1(worker, "three"));
        served(v1(worker, "four"));
        assertTrue(refusedOverAi(ai(worker, "5")).contains("the site's requests (4 per hour)"));
        refusedOverV1(v1(worker, "six"));
        assertEquals(4, upstream.received().size());
    }
}
