package org.openaimoodle.sidecar.worker.upstream;

import org.openaimoodle.sidecar.worker.json.Json;

/**
 * Tokens one request cost, as the upstream counted them ({@code usage.prompt_tokens},
 * {@code usage.completion_tokens}); -1 where the upstream did not say.
 *
 * @param promptTokens     tokens of the request
 * @param completionTokens tokens of the answer
 */
public record Usage(long promptTokens, long completionTokens) {
    /** Nothing known: no upstream answer, or one without usage. */
    public static final Usage UNKNOWN = new Usage(-1, -1);

    /** @return the usage in a parsed Chat Completions answer (or final stream chunk), or {@link #UNKNOWN} */
    public static Usage of(Object answer) {
        return new Usage(count(Json.path(answer, "usage", "prompt_tokens")),
                count(Json.path(answer, "usage", "completion_tokens")));
    }

    /** @return this plus another request's usage (unknown parts count as nothing when the other is known) */
    public Usage plus(Usage other) {
        return new Usage(sum(promptTokens, other.promptTokens), sum(completionTokens, other.completionTokens));
    }

    private static long sum(long a, long b) {
        return a < 0 ? b : b < 0 ? a : a + b;
    }

    private static long count(Object value) {
        if (value instanceof Json.JsonNumber number) {
            try {
                return Math.max(-1, Long.parseLong(number.text()));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }
}
