package org.openaimoodle.sidecar.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.ReceivedRequest;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerWithFakeUpstream;

/** The wire contract over real HTTP: a real worker process, a fake upstream on loopback. */
class WorkerHttpIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CHAT_SYSTEM = "system: You are a helpful educational assistant integrated with Moodle.";
    static final String SUMMARIZE_SYSTEM =
            "system: Summarize the following text concisely while preserving key information.";

    @RegisterExtension
    static final WorkerWithFakeUpstream fixture = new WorkerWithFakeUpstream(upstream -> Map.of(
            "OPENAI_BASE_URL", upstream.baseUrl() + "/",
            "OPENAI_MODEL", "gpt-it",
            "MAX_TOKENS", "400",
            "SUMMARIZE_THRESHOLD", "50",
            "SIDECAR_REQUEST_TIMEOUT", "3"));

    static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    static JsonNode okReply(HttpResponse<String> response) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        JsonNode reply = json(response);
        assertTrue(reply.path("success").asBoolean(), response.body());
        assertTrue(reply.has("error") && reply.get("error").isNull(), response.body());
        return reply;
    }

    static JsonNode failure(HttpResponse<String> response, int status, String code) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
        JsonNode reply = json(response);
        assertFalse(reply.path("success").asBoolean(true), response.body());
        assertTrue(reply.has("data") && reply.get("data").isNull(), response.body());
        assertEquals(code, reply.path("code").asText(), response.body());
        assertFalse(reply.path("error").asText().isBlank(), response.body());
        return reply;
    }

    @Test
    void healthIsExactlyTheContract() throws Exception {
        HttpResponse<String> health = fixture.worker().get("/health");
        assertEquals(200, health.statusCode());
        assertEquals("{\"status\":\"healthy\",\"service\":\"openai-moodle-sidecar\"}", health.body());
    }

    @Test
    void chatSendsTheOriginalPromptModelMaxTokensAndKey() throws Exception {
        fixture.upstream().enqueue(FakeAnswer.text("Quizzes test knowledge."));
        JsonNode reply = okReply(
                fixture.worker().ai("{\"action\":\"chat\",\"content\":\"What is a quiz?\",\"user_id\":\"7\"}"));
        assertEquals("Quizzes test knowledge.", reply.path("data").asText());
        assertEquals(3, reply.size(), "success, data, error only: " + reply);
        ReceivedRequest sent = fixture.upstream().received().get(0);
        assertEquals("/v1/chat/completions", sent.path());
        assertEquals("Bearer " + TestKeys.API_KEY, sent.headers().get("authorization"));
        assertEquals("gpt-it", sent.model());
        assertEquals(400, sent.maxTokens());
        assertEquals(List.of(CHAT_SYSTEM, "user: What is a quiz?"), sent.messages());
    }

    @Test
    void summarizeUsesHalfTheMaxTokens() throws Exception {
        okReply(fixture.worker().ai("{\"action\":\"summarize\",\"content\":\"A long text.\"}"));
        ReceivedRequest sent = fixture.upstream().received().get(0);
        assertEquals(200, sent.maxTokens());
        assertEquals(List.of(SUMMARIZE_SYSTEM, "user: A long text."), sent.messages());
    }

    @Test
    void analyzeWrapsTheContentInTheOriginalInstruction() throws Exception {
        okReply(fixture.worker().ai("{\"action\":\"analyze\",\"content\":\"Cells\",\"user_id\":null}"));
        ReceivedRequest sent = fixture.upstream().received().get(0);
        assertEquals(400, sent.maxTokens());
        assertEquals(List.of("system: You are an educational content analyst. Provide structured analysis of "
                        + "learning materials.",
                "user: Analyze the following educational content and provide insights about learning objectives, "
                        + "difficulty level, and suggestions for improvement:\n\nCells"), sent.messages());
    }

    @Test
    void numericUserIdAndNullContextAreAccepted() throws Exception {
        okReply(fixture.worker().ai("{\"action\":\"chat\",\"content\":\"Hi\",\"context\":null,\"user_id\":42}"));
        assertEquals(List.of(CHAT_SYSTEM, "user: Hi"), fixture.upstream().received().get(0).messages());
    }

    @Test
    void shortContextIsSentWhole() throws Exception {
        okReply(fixture.worker().ai("{\"action\":\"chat\",\"content\":\"Hi\",\"context\":\"Course: Biology 101\"}"));
        assertEquals(1, fixture.upstream().received().size());
        assertEquals(List.of(CHAT_SYSTEM, "system: Context: Course: Biology 101", "user: Hi"),
                fixture.upstream().received().get(0).messages());
    }

    @Test
    void longContextIsSummarizedFirst() throws Exception {
        String context = "x".repeat(51);
        fixture.upstream().enqueue(FakeAnswer.text("SHORT SUMMARY"), FakeAnswer.text("answer"));
        JsonNode reply = okReply(
                fixture.worker().ai("{\"action\":\"chat\",\"content\":\"Q\",\"context\":\"" + context + "\"}"));
        assertEquals("answer", reply.path("data").asText());
        List<ReceivedRequest> sent = fixture.upstream().received();
        assertEquals(2, sent.size());
        assertEquals(List.of(SUMMARIZE_SYSTEM, "user: " + context), sent.get(0).messages());
        assertEquals(200, sent.get(0).maxTokens());
        assertEquals(List.of(CHAT_SYSTEM, "system: Context summary: SHORT SUMMARY", "user: Q"), sent.get(1).messages());
        assertEquals(400, sent.get(1).maxTokens());
    }

    @Test
    void longContextIsTruncatedWhenItsSummaryFails() throws Exception {
        String context = "abcdefghij".repeat(6);
        fixture.upstream().enqueue(FakeAnswer.error(400, "context too weird"), FakeAnswer.text("answer"));
        okReply(fixture.worker().ai("{\"action\":\"chat\",\"content\":\"Q\",\"context\":\"" + context + "\"}"));
        List<ReceivedRequest> sent = fixture.upstream().received();
        assertEquals(2, sent.size());
        assertEquals("system: Context (truncated): " + context.substring(0, 50), sent.get(1).messages().get(1));
    }

    @Test
    void badRequestsGetTheirCodesAndNeverReachUpstream() throws Exception {
        JsonNode unknown = failure(
                fixture.worker().ai("{\"action\":\"translate\",\"content\":\"x\"}"), 200, "unknown_action");
        assertTrue(unknown.path("error").asText().contains("Unknown action"));
        failure(fixture.worker().ai("{\"action\":\"chat\",\"content\":\"\"}"), 200, "invalid_request");
        failure(fixture.worker().ai("{\"action\":\"chat\"}"), 200, "invalid_request");
        failure(fixture.worker().ai("{\"action\":\"chat\",\"content\":5}"), 200, "invalid_request");
        failure(fixture.worker().ai("{\"action\":\"chat\",\"content\":\"x\",\"user_id\":[1]}"), 200, "invalid_request");
        JsonNode malformed = failure(fixture.worker().ai("{\"action\":\"chat\","), 400, "invalid_json");
        assertEquals("Invalid JSON request", malformed.path("error").asText());
        failure(fixture.worker().ai("[\"chat\"]"), 400, "invalid_json");
        assertEquals(0, fixture.upstream().received().size());
    }

    @Test
    void bodyOverOneMebibyteIs413() throws Exception {
        String big = "{\"action\":\"chat\",\"content\":\"" + "a".repeat(2 * 1024 * 1024) + "\"}";
        failure(fixture.worker().ai(big), 413, "payload_too_large");
        assertEquals(0, fixture.upstream().received().size());
        // the worker still serves afterwards
        okReply(fixture.worker().ai("{\"action\":\"chat\",\"content\":\"still there?\"}"));
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() throws Exception {
        failure(fixture.worker().get("/nothing"), 404, "invalid_request");
        HttpResponse<String> getAi = fixture.worker().get("/ai");
        failure(getAi, 405, "invalid_request");
        assertEquals("POST", getAi.headers().firstValue("allow").orElse(""));
        failure(fixture.worker().post("/health", "{}"), 405, "invalid_request");
    }

    @Test
    void everyAiRequestWritesOneAccessLine() throws Exception {
        okReply(fixture.worker().ai("{\"action\":\"summarize\",\"content\":\"log me\",\"user_id\":4711}"));
        failure(fixture.worker().ai("{\"action\":\"nope\",\"content\":\"x\",\"user_id\":\"u 2\"}"), 200,
                "unknown_action");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() ->
                fixture.worker().log().contains("INFO access: action=nope user_id=u_2 code=unknown_action status=200"));
        assertTrue(fixture.worker().log().matches("(?s).*\\d{4}-\\d\\d-\\d\\dT[^ ]+ INFO access: action=summarize "
                + "user_id=4711 code=ok status=200 duration_ms=\\d+ prompt_tokens=10 completion_tokens=5\n.*"),
                fixture.worker().log());
        assertTrue(fixture.worker().log().contains("code=unknown_action status=200 duration_ms="), fixture.worker().log());
        assertTrue(fixture.worker().log().matches("(?s).*code=unknown_action status=200 duration_ms=\\d+ prompt_tokens=- "
                + "completion_tokens=-\n.*"), "no upstream call, no tokens: " + fixture.worker().log());
    }
}
