package org.openaimoodle.sidecar.testkit;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One scripted answer of {@link FakeUpstream}. Built with the static factories, refined with
 * {@link #withHeader} and {@link #after}.
 *
 * @param status         HTTP status
 * @param headers        extra response headers
 * @param body           response body
 * @param contentType    Content-Type of the body
 * @param delay          wait before answering
 * @param dropConnection close the connection instead of answering
 */
public record FakeAnswer(int status, Map<String, String> headers, String body, String contentType, Duration delay,
                         boolean dropConnection) {
    /** Reads the requests and writes the answers of the fake upstream. */
    static final ObjectMapper JSON = new ObjectMapper();

    /** @return a 200 Chat Completions answer whose {@code choices[0].message.content} is the text */
    public static FakeAnswer text(String content) {
        ObjectNode answer = JSON.createObjectNode()
                .put("id", "chatcmpl-fake")
                .put("object", "chat.completion")
                .put("created", 1_700_000_000L)
                .put("model", "gpt-4o-mini");
        ObjectNode choice = answer.putArray("choices").addObject().put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", content);
        choice.put("finish_reason", "stop");
        answer.putObject("usage").put("prompt_tokens", 10).put("completion_tokens", 5).put("total_tokens", 15);
        return json(200, text(answer));
    }

    /** @return an OpenAI-style error: {@code {"error":{"message":…,"type":…}}} with the status */
    public static FakeAnswer error(int status, String message) {
        ObjectNode answer = JSON.createObjectNode();
        answer.putObject("error").put("message", message).put("type", "fake_error").putNull("param")
                .put("code", status);
        return json(status, text(answer));
    }

    private static String text(ObjectNode json) {
        try {
            return JSON.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return a 200 answer whose {@code choices} array is empty */
    public static FakeAnswer emptyChoices() {
        return json(200, "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion\",\"choices\":[]}");
    }

    /** @return an answer with a non-JSON body, like a proxy's HTML error page */
    public static FakeAnswer nonJson(int status) {
        return new FakeAnswer(status, Map.of(), "<html><body>Bad Gateway</body></html>", "text/html", Duration.ZERO,
                false);
    }

    /** @return no answer at all: the connection is closed (the record component is {@code dropConnection}) */
    public static FakeAnswer closeConnection() {
        return new FakeAnswer(0, Map.of(), "", "text/plain", Duration.ZERO, true);
    }

    /** @return any status and JSON body */
    public static FakeAnswer json(int status, String body) {
        return new FakeAnswer(status, Map.of(), body, "application/json", Duration.ZERO, false);
    }

    /** @return this answer with one more response header */
    public FakeAnswer withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new FakeAnswer(status, Map.copyOf(more), body, contentType, delay, dropConnection);
    }

    /** @return this answer, sent after the delay */
    public FakeAnswer after(Duration wait) {
        return new FakeAnswer(status, headers, body, contentType, wait, dropConnection);
    }
}
