package org.openaimoodle.sidecar.supervisor.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.RedisServerUnderTest;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;

/**
 * Two Moodle web nodes, each with its own sidecar (supervisor and worker) and its own SQLite path, sharing one real
 * redis-server: {@code sidecarctl usage} on either node reports both nodes' requests, and {@code usage forget} on
 * one node deletes the user's records of both. The fake upstream counts 10 prompt and 5 completion tokens a call.
 */
class SiteUsageReportIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable each : started.reversed()) {
            each.close();
        }
    }

    private SidecarUnderTest node(String name, RedisServerUnderTest redis, FakeUpstream upstream) throws Exception {
        SidecarUnderTest sidecar = new SidecarUnderTest(java.nio.file.Files.createDirectories(dir.resolve(name)))
                .withFakeKey(upstream.baseUrl())
                .with("SIDECAR_REDIS_URL", redis.url())
                .with("SIDECAR_REDIS_PREFIX", "site:")
                .with("SIDECAR_CACHE_TTL", "0"); // every request an upstream call, so the totals are known
        started.add(sidecar);
        sidecar.start();
        return sidecar;
    }

    @Test
    void eitherNodeReportsTheWholeSiteAndForgetDeletesAUserOnEveryNode() throws Exception {
        RedisServerUnderTest redis = RedisServerUnderTest.start(dir.resolve("redis"));
        started.add(redis);
        FakeUpstream upstream = FakeUpstream.start();
        started.add(upstream);
        SidecarUnderTest a = node("a", redis, upstream);
        SidecarUnderTest b = node("b", redis, upstream);
        for (int i = 0; i < 3; i++) {
            ok(post(a, "/ai", "{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":1}"));
        }
        ok(post(a, "/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"user\":\"alice\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        for (int i = 0; i < 2; i++) {
            ok(post(b, "/ai", "{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":1}"));
            ok(post(b, "/ai", "{\"action\":\"summarize\",\"content\":\"a page\",\"user_id\":2}"));
        }
        assertEquals(8, upstream.received().size());

        Map<String, JsonNode> onA = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> report(a), rows -> total(rows) == 8);
        assertRow(onA.get("1"), 5);
        assertRow(onA.get("2"), 2);
        assertRow(onA.get("alice"), 1);
        assertEquals(onA.keySet(), report(b).keySet());
        assertEquals(onA.toString(), report(b).toString(), "both nodes report the same site");

        ProcessRun.Finished forget = b.sidecarctl("usage", "forget", "1");
        assertEquals(0, forget.exitCode(), forget.toString());
        assertEquals("deleted 5 usage records of user 1", forget.stdout().strip());
        Map<String, JsonNode> after = report(a);
        assertFalse(after.containsKey("1"), after.toString());
        assertEquals(3, total(after));
        assertTrue(redis.command("XLEN", "site:usage").equals(":3"), redis.command("XLEN", "site:usage"));
    }

    @Test
    void onlyTheUsageCommandsLoadTheRedisClient() throws Exception {
        RedisServerUnderTest redis = RedisServerUnderTest.start(dir.resolve("redis"));
        started.add(redis);
        Path classes = dir.resolve("classes.log");
        SidecarUnderTest sidecar = new SidecarUnderTest(java.nio.file.Files.createDirectories(dir.resolve("ctl")))
                .with("SIDECAR_REDIS_URL", redis.url())
                .with("SIDECAR_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes);
        started.add(sidecar);
        sidecar.sidecarctl("status"); // not running: its exit code does not matter here, its class loading does
        String status = java.nio.file.Files.readString(classes);
        assertTrue(status.contains("org.openaimoodle.sidecar.supervisor"), "class log is empty");
        assertFalse(status.contains("redis.clients."), "sidecarctl status loaded the Redis client");

        ProcessRun.Finished usage = sidecar.sidecarctl("usage", "--format", "json");
        assertEquals(0, usage.exitCode(), usage.toString());
        assertEquals("[]", usage.stdout().strip(), "no node has recorded anything in this Redis");
        assertTrue(java.nio.file.Files.readString(classes).contains("redis.clients.jedis"),
                "sidecarctl usage read Redis without its client?");
    }

    private static void assertRow(JsonNode row, int calls) {
        assertEquals(calls, row.get("requests").asInt(), row.toString());
        assertEquals(10L * calls, row.get("prompt_tokens").asLong(), row.toString());
        assertEquals(5L * calls, row.get("completion_tokens").asLong(), row.toString());
    }

    private static long total(Map<String, JsonNode> rows) {
        return rows.values().stream().mapToLong(row -> row.get("requests").asLong()).sum();
    }

    private static Map<String, JsonNode> report(SidecarUnderTest node) throws Exception {
        ProcessRun.Finished run = node.sidecarctl("usage", "--by", "user", "--format", "json");
        assertEquals(0, run.exitCode(), run.toString());
        Map<String, JsonNode> rows = new java.util.TreeMap<>();
        JSON.readTree(run.stdout()).forEach(row -> rows.put(row.get("user").asText(), row));
        return rows;
    }

    private static HttpResponse<String> post(SidecarUnderTest node, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void ok(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body());
        assertFalse(response.body().contains("\"success\":false"), response.body());
    }
}
