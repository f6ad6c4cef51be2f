package org.openaimoodle.sidecar.worker.it;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.ReceivedRequest;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;
import org.openaimoodle.sidecar.testkit.WorkerWithFakeUpstream;

/**
 * {@code /v1} as Moodle's AI provider uses it, over real sockets to a real worker process: Moodle 4.5's and
 * 5.0's requests replayed as they send them, the /ai failure matrix in OpenAI's error shape, aliases and the
 * access line. No SIDECAR_TOKEN here (Moodle sends its placeholder key); deadline 3 s.
 */
class OpenAiEndpointIT {
    /** sha256(site identifier . user id), as Moodle computes {@code user}. */
    static final String MOODLE_USER = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    static final String MOODLE_UA = "MoodleBot/4.5 (+http://moodle.example.org)";

    @RegisterExtension
    static final WorkerWithFakeUpstream fixture = new WorkerWithFakeUpstream(Map.of(
            "SIDECAR_MODEL_ALIASES", "gpt-4o=adorsys,*=catch-all",
            "SIDECAR_REQUEST_TIMEOUT", "3"));
    static FakeUpstream upstream;
    static WorkerUnderTest worker;

    @BeforeAll
    static void start() throws Exception {
        upstream = fixture.upstream();
        worker = fixture.worker();
    }

    /** Posts as Moodle's aiprovider_openai does: its headers, its placeholder key, an empty organization. */
    static HttpResponse<String> moodle(String path, String body) throws Exception {
        return worker.post(path, body, "Authorization", "Bearer sk-moodle-placeholder", "OpenAI-Organization", "",
                "OpenAI-Project", "proj_moodle", "Cookie", "MoodleSession=abc", "User-Agent", MOODLE_UA);
    }

    static String moodle45Body() {
        return "{\"model\":\"gpt-4o\",\"user\":\"" + MOODLE_USER + "\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"You will receive a text input from the user.\"},"
                + "{\"role\":\"user\",\"content\":\"Summarise: photosynthesis\"}]}";
    }

    static String moodle50Body() {
        return "{\"model\":\"gpt-4o\",\"user\":\"" + MOODLE_USER + "\",\"messages\":["
                + "{\"role\":\"user\",\"content\":\"Explain: mitosis\"}],"
                + "\"top_p\":0.9,\"max_tokens\":300,\"frequency_penalty\":0.25,\"presence_penalty\":-0.5,"
                + "\"max_completion_tokens\":280,\"seed\":42,\"custom\":{\"nested\":[1,2.50,\"x\"]}}";
    }

    @Test
    void moodle45RequestIsForwardedWithTheRealKeyAndNoClientHeader() throws Exception {
        HttpResponse<String> response = moodle("/moodle/summarise_text/v1/chat/completions", moodle45Body());
        assertEquals(200, response.statusCode(), response.body());
        assertMoodleReadsEverything(WorkerHttpIT.JSON.readTree(response.body()));
        ReceivedRequest received = upstream.received().getFirst();
        assertEquals("/v1/chat/completions", received.path());
        assertEquals("Bearer " + TestKeys.API_KEY, received.headers().get("authorization"));
        for (String header : new String[] {"openai-organization", "openai-project", "cookie"}) {
            assertFalse(received.headers().containsKey(header), header + " went upstream: " + received.headers());
        }
        assertFalse(received.headers().toString().contains("placeholder"), received.headers().toString());
        assertFalse(received.headers().getOrDefault("user-agent", "").contains("MoodleBot"), received.headers().toString());
        assertForwardedAsSentButTheModel(moodle45Body(), received, "adorsys");
    }

    @Test
    void moodle50RequestKeepsEveryExtraField() throws Exception {
        HttpResponse<String> response = moodle("/moodle/explain_text/v1/chat/completions", moodle50Body());
        assertEquals(200, response.statusCode(), response.body());
        assertMoodleReadsEverything(WorkerHttpIT.JSON.readTree(response.body()));
        ReceivedRequest received = upstream.received().getFirst();
        assertForwardedAsSentButTheModel(moodle50Body(), received, "adorsys");
        assertEquals("Bearer " + TestKeys.API_KEY, received.headers().get("authorization"));
    }

    static void assertMoodleReadsEverything(JsonNode reply) {
        for (String field : new String[] {"id", "system_fingerprint", "model"}) {
            assertTrue(reply.path(field).isTextual(), field + " in " + reply);
        }
        assertEquals("Hello from the fake upstream", reply.at("/choices/0/message/content").asText());
        assertEquals("stop", reply.at("/choices/0/finish_reason").asText());
        assertEquals(10, reply.at("/usage/prompt_tokens").asInt());
        assertEquals(5, reply.at("/usage/completion_tokens").asInt());
    }

    /** Byte for byte: every field, every number as written (2.50 stays 2.50), only the model replaced. */
    static void assertForwardedAsSentButTheModel(String sent, ReceivedRequest received, String model) {
        assertEquals(sent.replace("\"model\":\"gpt-4o\"", "\"model\":\"" + model + "\""), received.text());
    }

    @Test
    void aliasesMapExactNamesAndTheRestThroughTheStar() throws Exception {
        worker.post("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}");
        worker.post("/v1/chat/completions", "{\"model\":\"gpt-4.1-nano\",\"messages\":[]}");
        assertEquals("adorsys", upstream.received().get(0).model());
        assertEquals("catch-all", upstream.received().get(1).model());
    }

    @Test
    void accessLineCarriesThePerActionLabelTheUserAndTheTokens() throws Exception {
        moodle("/moodle/generate_text/v1/chat/completions", moodle45Body());
        worker.post("/v1/chat/completions", moodle45Body());
        // The access line follows the reply: wait for the second one rather than race it.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> Pattern.compile(
                "access: action=v1 user_id=" + MOODLE_USER + " code=ok").matcher(worker.log()).find());
        String lines = worker.log();
        assertTrue(Pattern.compile("access: action=moodle/generate_text user_id=" + MOODLE_USER
                + " code=ok status=200 duration_ms=\\d+ prompt_tokens=10 completion_tokens=5").matcher(lines).find(),
                lines);
        assertTrue(Pattern.compile("access: action=v1 user_id=" + MOODLE_USER
                + " code=ok status=200 duration_ms=\\d+ prompt_tokens=10 completion_tokens=5").matcher(lines).find(),
                lines);
    }

    @Test
    void modelsListIsTheUpstreamsUnderBothPrefixes() throws Exception {
        for (String path : new String[] {"/v1/models", "/moodle/generate_text/v1/models"}) {
            HttpResponse<String> response = worker.get(path);
            assertEquals(200, response.statusCode(), response.body());
            assertEquals("adorsys", WorkerHttpIT.JSON.readTree(response.body()).at("/data/1/id").asText());
        }
        assertEquals("GET", upstream.received().getFirst().method());
        assertEquals("/v1/models", upstream.received().getFirst().path());
    }

    @Test
    void badActionNamesAndBadBodiesAreRefused() throws Exception {
        assertEquals(404, worker.post("/moodle/Bad-Name/v1/chat/completions", "{}").statusCode());
        HttpResponse<String> notJson = worker.post("/v1/chat/completions", "[1,2]");
        assertError(notJson, 400, "invalid_json");
        assertEquals(0, upstream.received().size());
    }

    // The /ai failure matrix, through /v1.

    static JsonNode assertError(HttpResponse<String> response, int status, String code) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        JsonNode error = WorkerHttpIT.JSON.readTree(response.body()).path("error");
        assertEquals(code, error.path("code").asText(), response.body());
        assertTrue(error.path("message").isTextual() && error.has("type") && error.has("param"), response.body());
        return error;
    }

    static HttpResponse<String> chat() throws Exception {
        return worker.post("/v1/chat/completions", moodle45Body());
    }

    @Test
    void upstream401WithAnOpenAiBodyIsPassedThrough() throws Exception {
        upstream.enqueue(FakeAnswer.error(401, "Incorrect API key provided"));
        HttpResponse<String> response = chat();
        assertEquals(401, response.statusCode());
        assertEquals("Incorrect API key provided",
                WorkerHttpIT.JSON.readTree(response.body()).at("/error/message").asText());
        assertEquals(1, upstream.received().size());
    }

    @Test
    void rateLimitIs429WithRetryAfterAfterThreeAttempts() throws Exception {
        upstream.defaultAnswer(FakeAnswer.error(429, "Rate limit reached").withHeader("Retry-After", "1"));
        HttpResponse<String> response = chat();
        JsonNode error = assertError(response, 429, "upstream_rate_limited");
        assertTrue(error.path("message").asText().contains("Rate limit reached"), error.toString());
        assertTrue(response.headers().firstValue("Retry-After").isPresent());
        assertEquals(3, upstream.received().size());
    }

    @Test
    void serverErrorsTwiceThenSuccessIsTheUpstreamsAnswer() throws Exception {
        upstream.enqueue(FakeAnswer.error(502, "bad gateway"), FakeAnswer.error(500, "oops"),
                FakeAnswer.text("third time lucky"));
        HttpResponse<String> response = chat();
        assertEquals(200, response.statusCode());
        assertEquals("third time lucky",
                WorkerHttpIT.JSON.readTree(response.body()).at("/choices/0/message/content").asText());
        assertEquals(3, upstream.received().size());
    }

    @Test
    void slowUpstreamIs504AtTheDeadline() throws Exception {
        upstream.defaultAnswer(FakeAnswer.text("too late").after(Duration.ofSeconds(8)));
        long start = System.nanoTime();
        assertError(chat(), 504, "upstream_timeout");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 2900 && millis < 6000, "took " + millis);
    }

    @Test
    void droppedConnectionIs502Unreachable() throws Exception {
        upstream.defaultAnswer(FakeAnswer.closeConnection());
        assertError(chat(), 502, "upstream_unreachable");
        assertEquals(3, upstream.received().size());
    }

    @Test
    void nonJsonAnswerIs502UpstreamError() throws Exception {
        upstream.enqueue(FakeAnswer.nonJson(200));
        assertError(chat(), 502, "upstream_error");
    }

    @Test
    void emptyChoicesIs502UpstreamError() throws Exception {
        upstream.enqueue(FakeAnswer.emptyChoices());
        JsonNode error = assertError(chat(), 502, "upstream_error");
        assertEquals("No response content found", error.path("message").asText());
    }
}
