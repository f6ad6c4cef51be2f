package org.openaimoodle.sidecar.worker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.RedisServerUnderTest;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/**
 * Redis killed under load and started again, with two real worker processes on one password-protected
 * redis-server: the fail-open node (the default) serves every request through the fault, the fail-closed node
 * (SIDECAR_LIMITS_FAIL_CLOSED=true) answers a clean {@code unavailable} over /ai and /v1, both enforce their limits
 * again once Redis is back, and neither ever prints the Redis password.
 */
class RedisOutageIT {
    /** Fake, for this test's redis-server only. */
    private static final String PASSWORD = "fake-redis-password-for-tests-0042";

    @TempDir
    Path dir;

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable each : started.reversed()) {
            each.close();
        }
    }

    private WorkerUnderTest node(RedisServerUnderTest redis, FakeUpstream upstream, String prefix,
                                 Map<String, String> settings) throws Exception {
        Map<String, String> env = new HashMap<>(settings);
        env.put("OPENAI_API_KEY", TestKeys.API_KEY);
        env.put("OPENAI_BASE_URL", upstream.baseUrl());
        env.put("SIDECAR_REDIS_URL", redis.url());
        env.put("SIDECAR_REDIS_PREFIX", prefix);
        env.put("SIDECAR_LIMIT_USER_REQUESTS", "5/1h");
        env.put("SIDECAR_CACHE_TTL", "0");
        WorkerUnderTest worker = WorkerUnderTest.startHttp(Files.createTempDirectory(dir, "node"), env, false);
        started.add(worker);
        return worker;
    }

    @Test
    void redisKilledMidLoadFailsOpenOrClosedAndTheLimitsComeBackWithRedis() throws Exception {
        RedisServerUnderTest redis = RedisServerUnderTest.start(dir.resolve("redis"), PASSWORD);
        started.add(redis);
        FakeUpstream upstream = FakeUpstream.start().defaultAnswer(FakeAnswer.text("served")
                .after(Duration.ofMillis(20)));
        started.add(upstream);
        WorkerUnderTest open = node(redis, upstream, "open:", Map.of());
        WorkerUnderTest closed = node(redis, upstream, "closed:", Map.of("SIDECAR_LIMITS_FAIL_CLOSED", "true"));
        for (int i = 0; i < 5; i++) {
            UsageLimitsIT.served(UsageLimitsIT.ai(closed, "\"before\""));
        }
        UsageLimitsIT.refusedOverAi(UsageLimitsIT.ai(closed, "\"before\"")); // the limits work before the fault

        // 400 requests of distinct users from 16 clients; Redis is killed after the first 100 answers.
        ExecutorService clients = Executors.newFixedThreadPool(16);
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger afterKill = new AtomicInteger();
        boolean[] killed = {false};
        List<Future<HttpResponse<String>>> load = new ArrayList<>();
        try {
            for (int i = 0; i < 400; i++) {
                String user = "\"load-" + i + "\"";
                load.add(clients.submit(() -> {
                    HttpResponse<String> response = UsageLimitsIT.ai(open, user);
                    answered.incrementAndGet();
                    synchronized (killed) {
                        if (killed[0]) {
                            afterKill.incrementAndGet();
                        }
                    }
                    return response;
                }));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> answered.get() >= 100);
            synchronized (killed) {
                redis.kill();
                killed[0] = true;
            }
            for (Future<HttpResponse<String>> each : load) {
                UsageLimitsIT.served(each.get(90, TimeUnit.SECONDS)); // fail-open: not one failed request
            }
        } finally {
            clients.shutdownNow();
        }
        assertTrue(afterKill.get() >= 100, afterKill.get() + " requests were answered after the kill");

        // Fail-closed: a clean unavailable, over both endpoints; /ai with 200, so that the plugin shows it instead of
        // falling back to stdio mode (which has no limits).
        JsonNode refused = WorkerHttpIT.failure(UsageLimitsIT.ai(closed, "\"during\""), 200, "unavailable");
        assertTrue(refused.path("error").asText().startsWith("Usage limits unavailable"), refused.toString());
        HttpResponse<String> v1 = UsageLimitsIT.v1(closed, "during");
        assertEquals(503, v1.statusCode(), v1.body());
        assertEquals("1", v1.headers().firstValue("retry-after").orElse(""));
        assertEquals("unavailable", WorkerHttpIT.JSON.readTree(v1.body()).path("error").path("code").asText());
        await().atMost(Duration.ofSeconds(10)).until(() -> open.log().contains("WARN redis: Redis at redis://127.0.0.1:"
                + redis.port() + "/0 failed"));

        redis.restart(); // empty: every bucket starts full
        // Fail-open: the limits are enforced again by themselves (within the pause after the last failure).
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                "quota_exceeded".equals(WorkerHttpIT.JSON.readTree(UsageLimitsIT.ai(open, "\"after\"").body())
                        .path("code").asText()));
        // Fail-closed: served again, and counted exactly: five in all, then refused.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                WorkerHttpIT.JSON.readTree(UsageLimitsIT.ai(closed, "\"back\"").body()).path("success").asBoolean());
        for (int i = 0; i < 4; i++) {
            UsageLimitsIT.served(UsageLimitsIT.ai(closed, "\"back\""));
        }
        UsageLimitsIT.refusedOverAi(UsageLimitsIT.ai(closed, "\"back\""));

        for (WorkerUnderTest node : List.of(open, closed)) {
            String log = node.log();
            assertFalse(log.contains(PASSWORD), "the Redis password was printed:\n" + log);
            assertFalse(log.contains(TestKeys.API_KEY), log);
        }
    }
}
