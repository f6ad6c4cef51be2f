package org.openaimoodle.sidecar.worker.fake;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.openaimoodle.sidecar.worker.json.Json;

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
                         boolean dropConnection, java.util.List<String> events, Duration eventGap, int stallAfter) {
    /** An answer that is not a stream. */
    public FakeAnswer(int status, Map<String, String> headers, String body, String contentType, Duration delay,
                      boolean dropConnection) {
        this(status, headers, body, contentType, delay, dropConnection, java.util.List.of(), Duration.ZERO, -1);
    }

    /**
     * A streamed Chat Completions answer as OpenAI sends it ({@code stream: true}): a role chunk, one chunk per
     * piece of text, a finish chunk, the usage chunk ({@code choices: []}; prompt 10, completion = pieces) and
     * {@code [DONE]}, each event {@code data: …\n\n} after {@code gap}.
     */
    public static FakeAnswer stream(Duration gap, String... pieces) {
        java.util.List<String> events = new java.util.ArrayList<>();
        events.add(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null));
        for (String piece : pieces) {
            events.add(chunk(Json.toText(out -> {
                out.writeStartObject();
                out.writeStringField("content", piece);
                out.writeEndObject();
            }), null));
        }
        events.add(chunk("{}", "stop"));
        events.add("{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":"
                + pieces.length + ",\"total_tokens\":" + (10 + pieces.length) + "}}");
        events.add("[DONE]");
        return new FakeAnswer(200, Map.of(), "", "text/event-stream", Duration.ZERO, false, java.util.List.copyOf(events),
                gap, -1);
    }

    private static String chunk(String delta, String finishReason) {
        return "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_fake\",\"choices\":[{\"index\":0,\"delta\":"
                + delta + ",\"finish_reason\":" + (finishReason == null ? "null" : "\"" + finishReason + "\"")
                + "}],\"usage\":null}";
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
        return json(200, Json.toText(out -> {
            out.writeStartObject();
            out.writeStringField("object", "list");
            out.writeArrayFieldStart("data");
            for (String id : ids) {
                out.writeStartObject();
                out.writeStringField("id", id);
                out.writeStringField("object", "model");
                out.writeNumberField("created", 1_700_000_000L);
                out.writeStringField("owned_by", "fake");
                out.writeEndObject();
            }
            out.writeEndArray();
            out.writeEndObject();
        }));
    }
    /** @return a 200 Chat Completions answer whose {@code choices[0].message.content} is the text */
    public static FakeAnswer text(String content) {
        return json(200, Json.toText(out -> {
            out.writeStartObject();
            out.writeStringField("id", "chatcmpl-fake");
            out.writeStringField("object", "chat.completion");
            out.writeStringField("system_fingerprint", "fp_fake");
            out.writeNumberField("created", 1_700_000_000L);
            out.writeStringField("model", "gpt-4o-mini");
            out.writeArrayFieldStart("choices");
            out.writeStartObject();
            out.writeNumberField("index", 0);
            out.writeObjectFieldStart("message");
            out.writeStringField("role", "assistant");
            out.writeStringField("content", content);
            out.writeEndObject();
            out.writeStringField("finish_reason", "stop");
            out.writeEndObject();
            out.writeEndArray();
            out.writeObjectFieldStart("usage");
            out.writeNumberField("prompt_tokens", 10);
            out.writeNumberField("completion_tokens", 5);
            out.writeNumberField("total_tokens", 15);
            out.writeEndObject();
            out.writeEndObject();
        }));
    }

    /** @return an OpenAI-style error: {@code {"error":{"message":…,"type":…}}} with the status */
    public static FakeAnswer error(int status, String message) {
        return json(status, Json.toText(out -> {
            out.writeStartObject();
            out.writeObjectFieldStart("error");
            out.writeStringField("message", message);
            out.writeStringField("type", "fake_error");
            out.writeNullField("param");
            out.writeNumberField("code", status);
            out.writeEndObject();
            out.writeEndObject();
        }));
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
