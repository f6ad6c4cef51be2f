package org.openaimoodle.sidecar.worker.fake;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.openaimoodle.sidecar.worker.json.Json;

/**
 * One request as the fake upstream received it.
 *
 * @param method  HTTP method
 * @param path    request path, e.g. {@code /v1/chat/completions}
 * @param headers headers by lower-case name (multiple values joined by commas)
 * @param body    the parsed JSON body (see {@link Json#parse}), or null when it was not JSON
 * @param at      arrival time
 * @param text    the body as it arrived (UTF-8)
 */
public record ReceivedRequest(String method, String path, Map<String, String> headers, Object body, Instant at,
                              String text) {

    /** @return the {@code model} field */
    public String model() {
        return Json.path(body, "model") instanceof String model ? model : null;
    }

    /** @return the {@code max_tokens} field */
    public int maxTokens() {
        return Json.path(body, "max_tokens") instanceof Json.JsonNumber number ? Integer.parseInt(number.text()) : -1;
    }

    /** @return the messages as {@code role: content} strings, in order */
    public List<String> messages() {
        List<String> messages = new ArrayList<>();
        if (Json.path(body, "messages") instanceof List<?> list) {
            for (Object message : list) {
                messages.add(Json.path(message, "role") + ": " + Json.path(message, "content"));
            }
        }
        return messages;
    }
}
