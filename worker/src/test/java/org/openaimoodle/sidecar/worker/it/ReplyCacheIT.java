package org.openaimoodle.sidecar.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;
import org.openaimoodle.sidecar.testkit.WorkerWithFakeUpstream;

/**
 * The reply cache shared across users, with its defaults, over real sockets: one upstream call for the same
 * summarize from several users and for identical requests at once; chat, failures and streams never cached.
 * Each test sends its own content, so the tests do not see each other's entries.
 */
class ReplyCacheIT {
    @RegisterExtension
    static final WorkerWithFakeUpstream fixture = new WorkerWithFakeUpstream(Map.of("SIDECAR_REQUEST_TIMEOUT", "10"));

    static HttpResponse<String> ai(String action, String content, int user) throws Exception {
        return fixture.worker().ai("{\"action\":\"" + action + "\",\"content\":\"" + content + "\",\"user_id\":"
                + user + "}");
    }

    static HttpResponse<String> moodle(String user, String content, boolean stream) throws Exception {
        return fixture.worker().post("/moodle/summarise_text/v1/chat/completions", "{\"model\":\"gpt-4o\",\"user\":\""
                + user + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]"
                + (stream ? ",\"stream\":true" : "") + "}");
    }

    @Test
    void theSameSummarizeFromThreeUsersCostsOneUpstreamCall() throws Exception {
        for (int user = 1; user <= 3; user++) {
            assertEquals("Hello from the fake upstream",
                    WorkerHttpIT.okReply(ai("summarize", "the page on photosynthesis", user)).path("data").asText());
        }
        assertEquals(1, fixture.upstream().received().size());
        ai("analyze", "the page on photosynthesis", 1); // another action is another entry
        assertEquals(2, fixture.upstream().received().size());
    }

    @Test
    void twentyIdenticalRequestsAtOnceShareOneUpstreamCall() throws Exception {
        FakeUpstream upstream = fixture.upstream();
        upstream.defaultAnswer(FakeAnswer.text("shared summary").after(Duration.ofMillis(1500)));
        WorkerUnderTest worker = fixture.worker();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int user = 0; user < 20; user++) {
            replies.add(http.sendAsync(HttpRequest.newBuilder(worker.uri("/ai")).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"summarize\",\"content\":\"one page for "
                            + "the whole class\",\"user_id\":" + user + "}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> reply : replies) {
            assertEquals("shared summary", WorkerHttpIT.okReply(reply.get(60, TimeUnit.SECONDS)).path("data").asText());
        }
        assertEquals(1, upstream.received().size());
    }

    @Test
    void chatIsNotCached() throws Exception {
        WorkerHttpIT.okReply(ai("chat", "what is a cell", 1));
        WorkerHttpIT.okReply(ai("chat", "what is a cell", 1));
        assertEquals(2, fixture.upstream().received().size());
    }

    @Test
    void aFailureIsNotCached() throws Exception {
        fixture.upstream().enqueue(FakeAnswer.error(400, "bad request"));
        WorkerHttpIT.failure(ai("summarize", "a page that failed once", 1), 200, "upstream_error");
        WorkerHttpIT.okReply(ai("summarize", "a page that failed once", 2));
        WorkerHttpIT.okReply(ai("summarize", "a page that failed once", 3));
        assertEquals(2, fixture.upstream().received().size());
    }

    @Test
    void v1RepliesOfACachedMoodleActionAreSharedAcrossUsers() throws Exception {
        HttpResponse<String> first = moodle("hash-a", "Summarise: mitosis", false);
        HttpResponse<String> second = moodle("hash-b", "Summarise: mitosis", false);
        assertEquals(200, first.statusCode(), first.body());
        assertEquals(first.body(), second.body());
        assertEquals(1, fixture.upstream().received().size());
        // The access line follows the reply: wait for it rather than race the asynchronous log.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> fixture.worker().log()
                .contains("action=moodle/summarise_text user_id=hash-b code=ok status=200"));
    }

    @Test
    void aV1StreamIsNotCached() throws Exception {
        FakeAnswer stream = FakeAnswer.stream(Duration.ZERO, "a", "b");
        fixture.upstream().enqueue(stream, stream);
        for (String user : new String[] {"hash-a", "hash-b"}) {
            HttpResponse<String> response = moodle(user, "Summarise: meiosis", true);
            assertEquals(200, response.statusCode(), response.body());
            assertTrue(response.body().contains("[DONE]"), response.body());
        }
        assertEquals(2, fixture.upstream().received().size());
    }
}
