package org.openaimoodle.sidecar.worker.upstream;

/**
 * One entry of the Chat Completions {@code messages} array.
 *
 * @param role    {@code system} or {@code user}
 * @param content the text
 */
public record ChatMessage(String role, String content) {
    /** @return a system message */
    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    /** @return a user message */
    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }
}
