package org.openaimoodle.sidecar.worker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.usage.UsageDatabase;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.RedisServerUnderTest;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/**
 * How replies from the shared cache and the models list are accounted, by a real worker against the fake upstream
 * (15 tokens an answer): a cached reply says {@code cached=true} in its access line and its usage record, with 0
 * tokens; it is served when the user's tokens are used up, while request limits still count it; and
 * {@code GET /v1/models} is neither counted by the limits nor recorded.
 */
class CachedUsageIT {
    @TempDir
    Path dir;

    private FakeUpstream upstream;
    private WorkerUnderTest worker;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = FakeUpstream.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (worker != null) {
            worker.close();
        }
        upstream.close();
    }

    private WorkerUnderTest start(Map<String, String> settings) throws Exception {
        Map<String, String> env = new HashMap<>(settings);
        env.put("OPENAI_API_KEY", TestKeys.API_KEY);
        env.put("OPENAI_BASE_URL", upstream.baseUrl());
        worker = WorkerUnderTest.startHttp(dir, env, false);
        return worker;
    }

    private HttpResponse<String> summarize(String content, int user) throws Exception {
        return worker.ai("{\"action\":\"summarize\",\"content\":\"" + content + "\",\"user_id\":" + user + "}");
    }

    private HttpResponse<String> moodleSummary(String user) throws Exception {
        return worker.post("/moodle/summarise_text/v1/chat/completions", "{\"model\":\"gpt-4o\",\"user\":\"" + user
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Summarise: osmosis\"}]}");
    }

    /** @return every usage record as {@code user endpoint action prompt completion cached code}, in order */
    private List<String> records() throws Exception {
        List<String> found = new ArrayList<>();
        try (Connection store = UsageDatabase.open(dir.resolve("usage.db"), false);
             ResultSet rows = store.createStatement().executeQuery("SELECT * FROM usage ORDER BY rowid")) {
            while (rows.next()) {
                found.add(rows.getString("user") + " " + rows.getString("endpoint") + " " + rows.getString("action")
                        + " " + rows.getLong("prompt_tokens") + " " + rows.getLong("completion_tokens") + " "
                        + rows.getInt("cached") + " " + rows.getString("code"));
            }
        } catch (java.sql.SQLException e) {
            return List.of(); // not written yet
        }
        return found;
    }

    @Test
    void aCachedReplyIsLoggedAndRecordedAsCachedWithZeroTokensOverAiAndV1() throws Exception {
        start(Map.of());
        WorkerHttpIT.okReply(summarize("the water cycle", 1));
        WorkerHttpIT.okReply(summarize("the water cycle", 2));
        assertEquals(200, moodleSummary("hash-a").statusCode());
        assertEquals(200, moodleSummary("hash-b").statusCode());
        assertEquals(2, upstream.received().size());
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.log().contains("action=summarize user_id=2 code=ok "
                + "status=200") && worker.log().contains("action=moodle/summarise_text user_id=hash-b code=ok"));
        String log = worker.log();
        assertTrue(log.matches("(?s).*action=summarize user_id=1 code=ok status=200 duration_ms=\\d+ "
                + "prompt_tokens=10 completion_tokens=5\n.*"), log);
        assertTrue(log.matches("(?s).*action=summarize user_id=2 code=ok status=200 duration_ms=\\d+ "
                + "prompt_tokens=0 completion_tokens=0 cached=true\n.*"), log);
        assertTrue(log.matches("(?s).*action=moodle/summarise_text user_id=hash-b code=ok status=200 duration_ms=\\d+ "
                + "prompt_tokens=0 completion_tokens=0 cached=true\n.*"), log);
        List<String> expected = List.of("1 ai summarize 10 5 0 ok", "2 ai summarize 0 0 1 ok",
                "hash-a v1 moodle/summarise_text 10 5 0 ok", "hash-b v1 moodle/summarise_text 0 0 1 ok");
        assertEquals(expected, await().atMost(Duration.ofSeconds(10)).until(this::records, r -> r.size() >= 4));
    }

    @Test
    void aCachedReplyIsServedWithTheTokensUsedUpAndRequestLimitsStillCountIt() throws Exception {
        start(Map.of("SIDECAR_LIMIT_USER_TOKENS", "15/1h", "SIDECAR_LIMIT_USER_REQUESTS", "3/1h",
                "SIDECAR_CACHE_TTL", "1h"));
        servesTheCachedReplyPastTheTokenLimit();
    }

    /** The same with the limits on a real redis-server (RedisCostControl): the node's cache answers past the tokens. */
    @Test
    void withRedisTooACachedReplyIsServedWithTheTokensUsedUp() throws Exception {
        try (RedisServerUnderTest redis = RedisServerUnderTest.start(dir.resolve("redis"))) {
            start(Map.of("SIDECAR_LIMIT_USER_TOKENS", "15/1h", "SIDECAR_LIMIT_USER_REQUESTS", "3/1h",
                    "SIDECAR_CACHE_TTL", "1h", "SIDECAR_REDIS_URL", redis.url()));
            servesTheCachedReplyPastTheTokenLimit();
        }
    }

    /**
     * Two nodes on one redis-server: a reply node A paid for, which only Redis holds for node B, is served by B to
     * a user whose tokens are used up (B asks Redis for it only then), and costs B no upstream call.
     */
    @Test
    void withRedisAReplyAnotherNodeCachedIsServedWithTheTokensUsedUp() throws Exception {
        try (RedisServerUnderTest redis = RedisServerUnderTest.start(dir.resolve("redis"))) {
            Map<String, String> env = new HashMap<>(Map.of("SIDECAR_LIMIT_USER_TOKENS", "15/1h",
                    "SIDECAR_CACHE_TTL", "1h", "SIDECAR_REDIS_URL", redis.url(), "OPENAI_API_KEY", TestKeys.API_KEY,
                    "OPENAI_BASE_URL", upstream.baseUrl()));
            java.nio.file.Files.createDirectories(dir.resolve("a"));
            java.nio.file.Files.createDirectories(dir.resolve("b"));
            try (WorkerUnderTest nodeA = WorkerUnderTest.startHttp(dir.resolve("a"), env, false)) {
                worker = WorkerUnderTest.startHttp(dir.resolve("b"), env, false); // node B, closed by stop()
                WorkerHttpIT.okReply(nodeA.ai("{\"action\":\"summarize\",\"content\":\"the nitrogen cycle\","
                        + "\"user_id\":2}"));
                WorkerHttpIT.okReply(summarize("the carbon cycle", 1)); // on B: user 1's 15 tokens are used up
                WorkerHttpIT.failure(summarize("the water cycle", 1), 200, "quota_exceeded"); // cached nowhere
                WorkerHttpIT.okReply(summarize("the nitrogen cycle", 1)); // only Redis holds it for B
                assertEquals(2, upstream.received().size(), "A's call and B's first: the third came from Redis");
                await().atMost(Duration.ofSeconds(10)).until(() -> worker.log().matches("(?s).*action=summarize "
                        + "user_id=1 code=ok status=200 duration_ms=\\d+ prompt_tokens=0 completion_tokens=0 "
                        + "cached=true\n.*"));
            }
        }
    }

    private void servesTheCachedReplyPastTheTokenLimit() throws Exception {
        WorkerHttpIT.okReply(summarize("the nitrogen cycle", 1)); // request 1 of 3; 15 tokens: none left
        WorkerHttpIT.okReply(summarize("the nitrogen cycle", 1)); // request 2: from the cache, no tokens needed
        String refused = WorkerHttpIT.failure(summarize("the carbon cycle", 1), 200, "quota_exceeded")
                .path("error").asText();
        assertTrue(refused.contains("your tokens"), refused); // not cached: needs tokens; its request is given back
        WorkerHttpIT.okReply(summarize("the nitrogen cycle", 1)); // request 3
        refused = WorkerHttpIT.failure(summarize("the nitrogen cycle", 1), 200, "quota_exceeded").path("error")
                .asText();
        assertTrue(refused.contains("your requests (3 per hour)"), refused);
        WorkerHttpIT.okReply(summarize("the nitrogen cycle", 2)); // another user: cached, within own limits
        assertEquals(1, upstream.received().size());
    }

    @Test
    void listingTheModelsIsNeitherCountedByTheLimitsNorRecorded() throws Exception {
        start(Map.of("SIDECAR_LIMIT_SITE_REQUESTS", "2/1h", "SIDECAR_LIMIT_USER_REQUESTS", "1/1h",
                "SIDECAR_CACHE_TTL", "0"));
        for (int i = 0; i < 3; i++) {
            assertEquals(200, worker.get("/v1/models").statusCode());
            assertEquals(200, worker.get("/moodle/generate_text/v1/models").statusCode());
        }
        WorkerHttpIT.okReply(worker.ai("{\"action\":\"chat\",\"content\":\"hi\"}")); // anonymous: its first request
        WorkerHttpIT.okReply(worker.ai("{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":5}"));
        WorkerHttpIT.failure(worker.ai("{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":6}"), 200,
                "quota_exceeded"); // the site's two requests are the two chats
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.log().contains("user_id=6 code=quota_exceeded"));
        assertTrue(worker.log().contains("action=v1 user_id=- code=ok status=200"), "models are still logged");
        assertEquals(List.of("anonymous ai chat 10 5 0 ok", "5 ai chat 10 5 0 ok", "6 ai chat 0 0 0 quota_exceeded"),
                await().atMost(Duration.ofSeconds(10)).until(this::records, r -> r.size() >= 3));
    }
}
