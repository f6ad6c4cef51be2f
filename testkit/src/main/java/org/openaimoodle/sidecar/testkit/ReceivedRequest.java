package org.openaimoodle.sidecar.testkit;

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
 * @param body    the parsed JSON body, or null when it was not JSON
 * @param at      arrival time
 * @param text    the body as it arrived (UTF-8)
 */
public record ReceivedRequest(String method, String path, Map<String, String> headers, JsonNode body, Instant at,
                              String text) {

    /** @return the {@code model} field, or null */
    public String model() {
        return body != null && body.path("model").isTextual() ? body.path("model").textValue() : null;
    }

    /** @return the {@code max_tokens} field, or -1 */
    public int maxTokens() {
        return body != null && body.path("max_tokens").isNumber() ? body.path("max_tokens").intValue() : -1;
    }

    /** @return the messages as {@code role: content} strings, in order */
    public List<String> messages() {
        List<String> messages = new ArrayList<>();
        if (body != null) {
            for (JsonNode message : body.path("messages")) {
                messages.add(message.path("role").asText("null") + ": " + message.path("content").asText("null"));
            }
        }
        return messages;
    }
}
