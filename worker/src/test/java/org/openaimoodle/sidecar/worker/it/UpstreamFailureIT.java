package org.openaimoodle.sidecar.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.ReceivedRequest;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerWithFakeUpstream;

/**
 * Every upstream failure, seen from the plugin's side: its code, how many attempts reached upstream and how
 * long it took; plus load and the key never leaking. Deadline 3 s (SIDECAR_REQUEST_TIMEOUT).
 */
class UpstreamFailureIT {
    @RegisterExtension
    static final WorkerWithFakeUpstream fixture = new WorkerWithFakeUpstream(Map.of("SIDECAR_REQUEST_TIMEOUT", "3"));
    static final List<String> REPLIES = new ArrayList<>();

    /** Sends a chat request; returns the reply and records it for the key check. */
    private static Timed chat() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response =
                fixture.worker().ai("{\"action\":\"chat\",\"content\":\"Hello\",\"user_id\":3}");
        long millis = (System.nanoTime() - start) / 1_000_000;
        synchronized (REPLIES) {
            REPLIES.add(response.body());
        }
        assertEquals(200, response.statusCode(), response.body());
        return new Timed(WorkerHttpIT.JSON.readTree(response.body()), millis);
    }

    private record Timed(JsonNode reply, long millis) {
        String code() {
            return reply.path("code").asText();
        }

        String error() {
            return reply.path("error").asText();
        }
    }

    @Test
    void rejectedKeyIsUpstreamAuthWithoutRetry() throws Exception {
        fixture.upstream().enqueue(FakeAnswer.error(401, "Incorrect API key provided: " + TestKeys.API_KEY));
        Timed result = chat();
        assertEquals("upstream_auth", result.code());
        assertTrue(result.error().startsWith("Chat error: "), result.error());
        assertTrue(result.error().contains("Incorrect API key provided"), result.error());
        assertEquals(1, fixture.upstream().received().size());
    }

    @Test
    void rateLimitHonoursRetryAfterThenGivesUp() throws Exception {
        fixture.upstream().defaultAnswer(FakeAnswer.error(429, "Rate limit reached").withHeader("Retry-After", "1"));
        Timed result = chat();
        assertEquals("upstream_rate_limited", result.code());
        assertTrue(result.error().contains("Rate limit reached"), result.error());
        assertEquals(3, fixture.upstream().received().size());
        List<ReceivedRequest> received = fixture.upstream().received();
        Duration firstGap = Duration.between(received.get(0).at(), received.get(1).at());
        assertTrue(firstGap.toMillis() >= 950, "waited as told by Retry-After: " + firstGap);
        assertTrue(result.millis() >= 1900 && result.millis() < 3500, "took " + result.millis());
    }

    @Test
    void retryAfterBeyondTheDeadlineIsNotWaitedFor() throws Exception {
        fixture.upstream().defaultAnswer(FakeAnswer.error(429, "slow down").withHeader("retry-after-ms", "10000"));
        Timed result = chat();
        assertEquals("upstream_rate_limited", result.code());
        assertEquals(1, fixture.upstream().received().size());
        assertTrue(result.millis() < 1500, "answered at once, took " + result.millis());
    }

    @Test
    void serverErrorsTwiceThenSuccessIsOk() throws Exception {
        fixture.upstream().enqueue(FakeAnswer.error(502, "bad gateway"), FakeAnswer.error(500, "oops"),
                FakeAnswer.text("third time lucky"));
        Timed result = chat();
        assertEquals("third time lucky", result.reply().path("data").asText());
        assertEquals(3, fixture.upstream().received().size());
        assertTrue(result.millis() >= 700, "two backoffs of >= 0.25 and 0.5 s, took " + result.millis());
    }

    @Test
    void serverErrorsBeyondTwoRetriesAreUpstreamError() throws Exception {
        fixture.upstream().defaultAnswer(FakeAnswer.error(503, "overloaded"));
        Timed result = chat();
        assertEquals("upstream_error", result.code());
        assertTrue(result.error().contains("overloaded"), result.error());
        assertEquals(3, fixture.upstream().received().size());
    }

    @Test
    void slowUpstreamIsCutAtTheDeadline() throws Exception {
        fixture.upstream().defaultAnswer(FakeAnswer.text("too late").after(Duration.ofSeconds(8)));
        Timed result = chat();
        assertEquals("upstream_timeout", result.code());
        assertTrue(result.error().contains("SIDECAR_REQUEST_TIMEOUT"), result.error());
        assertEquals(1, fixture.upstream().received().size());
        assertTrue(result.millis() >= 2900 && result.millis() < 6000, "took " + result.millis());
    }

    @Test
    void closedConnectionIsRetriedThenUnreachable() throws Exception {
        fixture.upstream().defaultAnswer(FakeAnswer.closeConnection());
        Timed result = chat();
        assertEquals("upstream_unreachable", result.code(), result.error());
        assertEquals(3, fixture.upstream().received().size());
    }

    @Test
    void closedConnectionOnceThenSuccessIsOk() throws Exception {
        fixture.upstream().enqueue(FakeAnswer.closeConnection(), FakeAnswer.text("recovered"));
        assertEquals("recovered", chat().reply().path("data").asText());
        assertEquals(2, fixture.upstream().received().size());
    }

    @Test
    void nonJsonAnswerIsUpstreamError() throws Exception {
        fixture.upstream().enqueue(FakeAnswer.nonJson(200));
        Timed result = chat();
        assertEquals("upstream_error", result.code());
        assertEquals(1, fixture.upstream().received().size());
    }

    @Test
    void emptyChoicesIsUpstreamErrorNoContent() throws Exception {
        fixture.upstream().enqueue(FakeAnswer.emptyChoices());
        Timed result = chat();
        assertEquals("upstream_error", result.code());
        assertEquals("Chat error: No response content found", result.error());
    }

    @Test
    void threeHundredConcurrentRequestsAtOneSecondLatencyAreAllAnswered() throws Exception {
        fixture.upstream().defaultAnswer(FakeAnswer.text("slow but fine").after(Duration.ofSeconds(1)));
        long start = System.nanoTime();
        List<Future<Timed>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 300; i++) {
                results.add(pool.submit(UpstreamFailureIT::chat));
            }
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        for (Future<Timed> result : results) {
            assertEquals("slow but fine", result.get().reply().path("data").asText());
        }
        assertEquals(300, fixture.upstream().received().size());
        // Serialized they would take 300 s; in parallel about 1 s plus overhead on a busy 2-core machine.
        assertTrue(millis < 15_000, "took " + millis + " ms");
    }

    @Test
    void keyNeverAppearsInRepliesOrLog() throws Exception {
        fixture.upstream().enqueue(FakeAnswer.error(403, "key " + TestKeys.API_KEY + " has no access"),
                FakeAnswer.error(400, "bad request for " + TestKeys.API_KEY));
        chat();
        chat();
        String secretPart = TestKeys.API_KEY.substring(3, TestKeys.API_KEY.length() - 4);
        synchronized (REPLIES) {
            for (String reply : REPLIES) {
                assertFalse(reply.contains(secretPart), reply);
            }
        }
        String log = fixture.worker().log();
        assertTrue(log.contains("sk-…abcd"), "masked key is logged at start:\n" + log);
        assertFalse(log.contains(secretPart), log);
    }
}
