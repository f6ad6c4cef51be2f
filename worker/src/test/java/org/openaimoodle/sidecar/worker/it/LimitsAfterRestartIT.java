package org.openaimoodle.sidecar.worker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.usage.UsageDatabase;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/**
 * Limits survive a restart of the worker without Redis: a new worker on the same usage store rebuilds each user's
 * and the site's buckets from the records of the last limit window, so a user who reached a limit, and a site that
 * reached its total, are still refused (and the refused requests still never reach the upstream).
 */
class LimitsAfterRestartIT {
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

    private WorkerUnderTest start(Map<String, String> limits) throws Exception {
        Map<String, String> env = new HashMap<>(limits);
        env.put("OPENAI_API_KEY", TestKeys.API_KEY);
        env.put("OPENAI_BASE_URL", upstream.baseUrl());
        env.put("SIDECAR_CACHE_TTL", "0");
        env.put("SIDECAR_USAGE_DB", dir.resolve("usage.db").toString());
        worker = WorkerUnderTest.startHttp(dir, env, false);
        return worker;
    }

    /** Stops the worker once the store has all {@code records}, and starts a new one on the same store. */
    private void restart(Map<String, String> limits, int records) throws Exception {
        await().atMost(Duration.ofSeconds(15)).until(() -> stored() == records);
        worker.close();
        worker = null;
        start(limits);
    }

    private long stored() {
        try (Connection store = UsageDatabase.open(dir.resolve("usage.db"), false);
             ResultSet count = store.createStatement().executeQuery("SELECT COUNT(*) FROM usage")) {
            return count.next() ? count.getLong(1) : 0;
        } catch (java.sql.SQLException e) {
            return -1;
        }
    }

    private String ai(String user) throws Exception {
        return worker.ai("{\"action\":\"chat\",\"content\":\"hello\",\"user_id\":\"" + user + "\"}").body();
    }

    private String v1(String user) throws Exception {
        return worker.post("/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"user\":\"" + user
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}").body();
    }

    private static void served(String reply) {
        assertTrue(reply.contains("\"success\":true") || reply.contains("\"choices\""), reply);
    }

    private static void refused(String reply, String which) {
        assertTrue(reply.contains("quota_exceeded") && reply.contains(which), reply);
    }

    @Test
    void aUserAndTheSiteAtTheirRequestLimitsAreStillRefusedAfterARestart() throws Exception {
        Map<String, String> limits = Map.of("SIDECAR_LIMIT_USER_REQUESTS", "3/1h", "SIDECAR_LIMIT_SITE_REQUESTS",
                "5/1h");
        start(limits);
        for (int i = 0; i < 3; i++) {
            served(i == 1 ? v1("1") : ai("1"));
        }
        refused(ai("1"), "your requests (3 per hour)");
        served(ai("2"));
        served(v1("2"));
        refused(ai("3"), "the site's requests (5 per hour)");
        assertEquals(5, upstream.received().size());

        restart(limits, 7);
        refused(ai("1"), "your requests (3 per hour)");
        refused(v1("4"), "the site's requests (5 per hour)");
        assertEquals(5, upstream.received().size(), "a refused request never reaches the upstream");
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.log().contains("limits: replayed 5 usage records"));
    }

    @Test
    void aUserAndTheSiteWithoutTokensLeftAreStillRefusedAfterARestart() throws Exception {
        Map<String, String> limits = Map.of("SIDECAR_LIMIT_USER_TOKENS", "30/1h", "SIDECAR_LIMIT_SITE_TOKENS", "60/1h");
        start(limits);
        served(ai("1"));
        served(v1("1")); // 30 tokens: none left for user 1
        refused(ai("1"), "your tokens (30 per hour)");
        served(ai("2"));
        served(ai("2")); // 60 tokens of the site
        refused(ai("3"), "the site's tokens (60 per hour)");

        restart(limits, 6);
        refused(v1("1"), "your tokens (30 per hour)");
        refused(ai("5"), "the site's tokens (60 per hour)");
        assertEquals(4, upstream.received().size());
    }
}
