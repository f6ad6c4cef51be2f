package org.openaimoodle.sidecar.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * @param events         for a stream: each Server-Sent Event's data, sent one by one (empty: not a stream)
 * @param eventGap       for a stream: the wait before each event
 * @param stallAfter     for a stream: after this many events, fall silent (keep the connection open), or -1
 */
public record FakeAnswer(int status, Map<String, String> headers, String body, String contentType, Duration delay,
                         boolean dropConnection, List<String> events, Duration eventGap, int stallAfter) {
    /** Reads the requests and writes the answers of the fake upstream. */
    static final ObjectMapper JSON = new ObjectMapper();

    /** An answer that is not a stream. */
    public FakeAnswer(int status, Map<String, String> headers, String body, String contentType, Duration delay,
                      boolean dropConnection) {
        this(status, headers, body, contentType, delay, dropConnection, List.of(), Duration.ZERO, -1);
    }

    /**
     * A streamed Chat Completions answer as OpenAI sends it ({@code stream: true}): a role chunk, one chunk per
     * piece of text, a finish chunk, the usage chunk ({@code choices: []}; prompt 10, completion = pieces) and
     * {@code [DONE]}, each event {@code data: …\n\n} after {@code gap}.
     */
    public static FakeAnswer stream(Duration gap, String... pieces) {
        List<String> events = new ArrayList<>();
        events.add(chunk(JSON.createObjectNode().put("role", "assistant").put("content", ""), null));
        for (String piece : pieces) {
            events.add(chunk(JSON.createObjectNode().put("content", piece), null));
        }
        events.add(chunk(JSON.createObjectNode(), "stop"));
        ObjectNode usage = JSON.createObjectNode()
                .put("id", "chatcmpl-fake")
                .put("object", "chat.completion.chunk")
                .put("created", 1_700_000_000L)
                .put("model", "gpt-4o-mini");
        usage.putArray("choices");
        usage.putObject("usage").put("prompt_tokens", 10).put("completion_tokens", pieces.length)
                .put("total_tokens", 10 + pieces.length);
        events.add(text(usage));
        events.add("[DONE]");
        return new FakeAnswer(200, Map.of(), "", "text/event-stream", Duration.ZERO, false, List.copyOf(events),
                gap, -1);
    }

    private static String chunk(ObjectNode delta, String finishReason) {
        ObjectNode chunk = JSON.createObjectNode()
                .put("id", "chatcmpl-fake")
                .put("object", "chat.completion.chunk")
                .put("created", 1_700_000_000L)
                .put("model", "gpt-4o-mini")
                .put("system_fingerprint", "fp_fake");
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        choice.put("finish_reason", finishReason);
        chunk.putNull("usage");
        return text(chunk);
    }

    /** @return this stream, silent after {@code events} events with its connection kept open */
    public FakeAnswer stallingAfter(int events) {
        return new FakeAnswer(status, headers, body, contentType, delay, dropConnection, this.events, eventGap,
                events);
    }

    /** @return whether this answer is a stream */
    public boolean streamed() {
        return !events.isEmpty();
    }

    /** @return OpenAI's model list ({@code GET /v1/models}) with the given model ids */
    public static FakeAnswer models(String... ids) {
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        var data = list.putArray("data");
        for (String id : ids) {
            data.addObject().put("id", id).put("object", "model").put("created", 1_700_000_000L)
                    .put("owned_by", "fake");
        }
        return json(200, text(list));
    }

    /** @return a 200 Chat Completions answer whose {@code choices[0].message.content} is the text */
    public static FakeAnswer text(String content) {
        ObjectNode answer = JSON.createObjectNode()
                .put("id", "chatcmpl-fake")
                .put("object", "chat.completion")
                .put("system_fingerprint", "fp_fake")
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
        return new FakeAnswer(status, Map.copyOf(more), body, contentType, delay, dropConnection, events, eventGap,
                stallAfter);
    }

    /** @return this answer, sent after the delay */
    public FakeAnswer after(Duration wait) {
        return new FakeAnswer(status, headers, body, contentType, wait, dropConnection, events, eventGap, stallAfter);
    }
}
