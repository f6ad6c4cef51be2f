package org.openaimoodle.sidecar.worker.fake;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One request as the fake upstream received it.
 *
 * @param method  HTTP method
 * @param path    request path, e.g. {@code /v1/chat/completions}
 * @param headers headers by lower-case name (multiple values joined by commas)
 * @param body    the JSON body, or null when it was not JSON
 * @param at      arrival time
 */
public record ReceivedRequest(String method, String path, Map<String, String> headers, JsonNode body, Instant at) {

    /** @return the {@code model} field */
    public String model() {
        return body.path("model").asText();
    }

    /** @return the {@code max_tokens} field */
    public int maxTokens() {
        return body.path("max_tokens").asInt(-1);
    }

    /** @return the messages as {@code role: content} strings, in order */
    public List<String> messages() {
        List<String> messages = new ArrayList<>();
        body.path("messages").forEach(m -> messages.add(m.path("role").asText() + ": " + m.path("content").asText()));
        return messages;
    }
}
