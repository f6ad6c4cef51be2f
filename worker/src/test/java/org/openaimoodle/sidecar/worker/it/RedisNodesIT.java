package org.openaimoodle.sidecar.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.RedisServerUnderTest;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/**
 * Several Moodle web nodes sharing one real redis-server (SIDECAR_REDIS_URL): real worker processes, each limit
 * kind reached over /ai and /v1 across two nodes, 200 concurrent requests of one user split over two nodes against
 * a limit of 10 serve exactly 10, and a reply cached by node A is served by node B without a call of B's own. Each
 * test has its own key prefix, so the tests share the server but no state; the fake upstream answers every call
 * with 10 + 5 tokens.
 */
class RedisNodesIT {
    static Path dir;
    static RedisServerUnderTest redis;
    static FakeUpstream upstream;
    static final List<WorkerUnderTest> workers = new ArrayList<>();
    static final List<FakeUpstream> upstreams = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("redis-nodes-it");
        redis = RedisServerUnderTest.start(dir.resolve("redis"));
        upstream = FakeUpstream.start();
        upstreams.add(upstream);
    }

    @AfterAll
    static void stop() throws Exception {
        for (WorkerUnderTest worker : workers) {
            worker.close();
        }
        upstreams.forEach(FakeUpstream::close);
        redis.close();
    }

    static WorkerUnderTest node(String prefix, FakeUpstream to, Map<String, String> settings) throws Exception {
        Map<String, String> env = new HashMap<>(settings);
        env.put("OPENAI_API_KEY", TestKeys.API_KEY);
        env.put("OPENAI_BASE_URL", to.baseUrl());
        env.put("SIDECAR_REDIS_URL", redis.url());
        env.put("SIDECAR_REDIS_PREFIX", prefix);
        WorkerUnderTest worker = WorkerUnderTest.startHttp(Files.createTempDirectory(dir, "node"), env, false);
        workers.add(worker);
        return worker;
    }

    /** Two nodes with the cache off, so that every served request is an upstream call. */
    static WorkerUnderTest[] twoNodes(String prefix, Map<String, String> limits) throws Exception {
        Map<String, String> settings = new HashMap<>(limits);
        settings.put("SIDECAR_CACHE_TTL", "0");
        return new WorkerUnderTest[] {node(prefix, upstream, settings), node(prefix, upstream, settings)};
    }

    @Test
    void userRequestsAreCountedAcrossNodesOverAiAndV1() throws Exception {
        WorkerUnderTest[] nodes = twoNodes("user-requests:", Map.of("SIDECAR_LIMIT_USER_REQUESTS", "10/1h"));
        int before = upstream.received().size();
        for (int i = 0; i < 5; i++) {
            UsageLimitsIT.served(UsageLimitsIT.ai(nodes[0], "42"));
            UsageLimitsIT.served(UsageLimitsIT.v1(nodes[1], "42")); // one identity for user_id 42 and user "42"
        }
        String message = UsageLimitsIT.refusedOverAi(UsageLimitsIT.ai(nodes[0], "42"));
        assertTrue(message.contains("your requests (10 per hour)"), message);
        UsageLimitsIT.refusedOverV1(UsageLimitsIT.v1(nodes[1], "42"));
        UsageLimitsIT.served(UsageLimitsIT.ai(nodes[1], "43")); // another user is not affected
        assertEquals(11, upstream.received().size() - before);
        // The bucket's key expires: once it would be full again, plus a minute.
        long ttl = Long.parseLong(redis.command("PTTL", "user-requests:limit:10/3600s:user:requests:42")
                .substring(1));
        assertTrue(ttl > 0 && ttl <= Duration.ofHours(1).plusMinutes(1).toMillis(), "PTTL " + ttl);
    }

    @Test
    void twoHundredConcurrentRequestsOfOneUserOnTwoNodesAgainstALimitOfTenServeExactlyTen() throws Exception {
        WorkerUnderTest[] nodes = twoNodes("concurrent:", Map.of("SIDECAR_LIMIT_USER_REQUESTS", "10/1h"));
        int before = upstream.received().size();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            replies.add(http.sendAsync(HttpRequest.newBuilder(nodes[i % 2].uri("/ai")).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":7}"))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        int served = 0;
        int refused = 0;
        for (CompletableFuture<HttpResponse<String>> reply : replies) {
            JsonNode body = WorkerHttpIT.JSON.readTree(reply.get(90, TimeUnit.SECONDS).body());
            if (body.path("success").asBoolean()) {
                served++;
            } else if ("quota_exceeded".equals(body.path("code").asText())) {
                refused++;
            }
        }
        assertEquals(10, served);
        assertEquals(190, refused);
        assertEquals(10, upstream.received().size() - before);
        assertTrue(!nodes[0].log().contains("WARN redis") && !nodes[1].log().contains("WARN redis"),
                "no Redis failure may have let a request through:\n" + nodes[0].log() + nodes[1].log());
    }

    @Test
    void tokenLimitsOfAUserAndOfTheSiteAreSharedByTheNodes() throws Exception {
        WorkerUnderTest[] nodes = twoNodes("tokens:", Map.of("SIDECAR_LIMIT_USER_TOKENS", "30/1h",
                "SIDECAR_LIMIT_SITE_TOKENS", "90/1h"));
        int before = upstream.received().size();
        UsageLimitsIT.served(UsageLimitsIT.ai(nodes[0], "1"));
        UsageLimitsIT.served(UsageLimitsIT.ai(nodes[1], "1")); // 30 tokens used on two nodes: nothing left
        assertTrue(UsageLimitsIT.refusedOverAi(UsageLimitsIT.ai(nodes[0], "1")).contains("your tokens (30 per hour)"));
        UsageLimitsIT.served(UsageLimitsIT.v1(nodes[1], "two"));
        UsageLimitsIT.served(UsageLimitsIT.v1(nodes[0], "two"));
        assertTrue(UsageLimitsIT.refusedOverV1(UsageLimitsIT.v1(nodes[1], "two")).contains("your tokens"));
        UsageLimitsIT.served(UsageLimitsIT.ai(nodes[0], "3"));
        UsageLimitsIT.served(UsageLimitsIT.v1(nodes[1], "3")); // 90 tokens of the site used
        assertTrue(UsageLimitsIT.refusedOverAi(UsageLimitsIT.ai(nodes[1], "4")).contains("the site's tokens (90 per hour)"));
        assertTrue(UsageLimitsIT.refusedOverV1(UsageLimitsIT.v1(nodes[0], "five")).contains("the site's tokens"));
        assertEquals(6, upstream.received().size() - before);
    }

    @Test
    void siteRequestsCountEveryUserOnEveryNode() throws Exception {
        WorkerUnderTest[] nodes = twoNodes("site-requests:", Map.of("SIDECAR_LIMIT_SITE_REQUESTS", "4/1h"));
        int before = upstream.received().size();
        UsageLimitsIT.served(UsageLimitsIT.ai(nodes[0], "1"));
        UsageLimitsIT.served(UsageLimitsIT.ai(nodes[1], "2"));
        UsageLimitsIT.served(UsageLimitsIT.v1(nodes[0], "three"));
        UsageLimitsIT.served(UsageLimitsIT.v1(nodes[1], "four"));
        assertTrue(UsageLimitsIT.refusedOverAi(UsageLimitsIT.ai(nodes[0], "5"))
                .contains("the site's requests (4 per hour)"));
        UsageLimitsIT.refusedOverV1(UsageLimitsIT.v1(nodes[1], "six"));
        assertEquals(4, upstream.received().size() - before);
    }

    @Test
    void aReplyCachedByNodeAIsServedByNodeBWithoutACallOfItsOwn() throws Exception {
        FakeUpstream upstreamA = FakeUpstream.start().defaultAnswer(FakeAnswer.text("summary made for node A"));
        FakeUpstream upstreamB = FakeUpstream.start().defaultAnswer(FakeAnswer.text("summary made for node B"));
        upstreams.add(upstreamA);
        upstreams.add(upstreamB);
        WorkerUnderTest a = node("cache:", upstreamA, Map.of());
        WorkerUnderTest b = node("cache:", upstreamB, Map.of());
        String summarize = "{\"action\":\"summarize\",\"content\":\"the same page\",\"user_id\":";
        JsonNode first = WorkerHttpIT.JSON.readTree(a.ai(summarize + "1}").body());
        JsonNode second = WorkerHttpIT.JSON.readTree(b.ai(summarize + "2}").body());
        assertEquals("summary made for node A", first.path("data").asText(), first.toString());
        assertEquals("summary made for node A", second.path("data").asText(), second.toString());

        String v1 = "{\"model\":\"gpt-4o-mini\",\"user\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"explain this page\"}]}";
        HttpResponse<String> firstV1 = a.post("/moodle/summarise_text/v1/chat/completions", v1.formatted("u1"));
        HttpResponse<String> secondV1 = b.post("/moodle/summarise_text/v1/chat/completions", v1.formatted("u2"));
        assertEquals(200, secondV1.statusCode(), secondV1.body());
        assertEquals(firstV1.body(), secondV1.body());
        assertEquals(firstV1.headers().firstValue("content-type"), secondV1.headers().firstValue("content-type"));

        assertEquals(2, upstreamA.received().size());
        assertEquals(0, upstreamB.received().size(), "node B answered from node A's cached replies");

        // A failure is never cached: node B asks its own upstream for a request that failed on node A.
        upstreamA.enqueue(FakeAnswer.error(400, "the page is too long"));
        String failing = "{\"action\":\"summarize\",\"content\":\"a page that fails\"}";
        assertTrue(a.ai(failing).body().contains("\"success\":false"));
        assertTrue(b.ai(failing).body().contains("summary made for node B"));
        assertEquals(1, upstreamB.received().size());
    }
}
