package org.openaimoodle.sidecar.worker.action;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A parsed and validated /ai request. Unknown fields are ignored; {@code user_id} may be a string, a number
 * or null (the plugin sends Moodle's numeric {@code $USER->id}); {@code context} may be null.
 *
 * @param action  chat, summarize or analyze
 * @param content the text to work on, never empty
 * @param context chat's optional context, null when absent or empty
 * @param userId  the user id as text, or null
 */
public record ActionRequest(Action action, String content, String context, String userId) {

    /** The three actions. */
    public enum Action { CHAT, SUMMARIZE, ANALYZE }

    /** A request that cannot be served; carries what is known of it for the access log. */
    public static final class Invalid extends Exception {
        private final transient Reply reply;
        private final String action;
        private final String userId;

        Invalid(Reply reply, String action, String userId) {
            super(reply.error(), null, false, false);
            this.reply = reply;
            this.action = action;
            this.userId = userId;
        }

        /** @return the failure reply */
        public Reply reply() {
            return reply;
        }

        /** @return the action field as sent, or null */
        public String action() {
            return action;
        }

        /** @return the user id as sent, or null */
        public String userId() {
            return userId;
        }
    }

    /**
     * @param body the raw request body (UTF-8 JSON)
     * @return the request
     * @throws Invalid with {@code invalid_json}, {@code invalid_request} or {@code unknown_action}
     */
    public static ActionRequest parse(byte[] body) throws Invalid {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            root = null;
        }
        if (root == null || !root.isObject()) {
            throw new Invalid(Reply.failure(ErrorCode.INVALID_JSON, "Invalid JSON request"), null, null);
        }
        JsonNode actionNode = root.get("action");
        String actionText = actionNode != null && actionNode.isTextual() ? actionNode.asText() : null;
        JsonNode userNode = root.get("user_id");
        String userId = null;
        if (userNode != null && !userNode.isNull()) {
            if (!userNode.isTextual() && !userNode.isNumber()) {
                throw invalid("'user_id' must be a string, a number or null", actionText, null);
            }
            userId = userNode.asText();
        }
        if (actionNode == null || actionNode.isNull()) {
            throw invalid("Missing 'action': send one of chat, summarize, analyze", null, userId);
        }
        if (actionText == null) {
            throw invalid("'action' must be a string: chat, summarize or analyze", null, userId);
        }
        Action action = switch (actionText) {
            case "chat" -> Action.CHAT;
            case "summarize" -> Action.SUMMARIZE;
            case "analyze" -> Action.ANALYZE;
            default -> throw new Invalid(Reply.failure(ErrorCode.UNKNOWN_ACTION, "Unknown action: '"
                    + shorten(actionText) + "' (use chat, summarize or analyze)"), actionText, userId);
        };
        JsonNode contentNode = root.get("content");
        if (contentNode != null && !contentNode.isNull() && !contentNode.isTextual()) {
            throw invalid("'content' must be a string", actionText, userId);
        }
        if (contentNode == null || contentNode.isNull() || contentNode.asText().isBlank()) {
            throw invalid("Missing or empty 'content': send the text to " + actionText + " as a string",
                    actionText, userId);
        }
        JsonNode contextNode = root.get("context");
        if (contextNode != null && !contextNode.isNull() && !contextNode.isTextual()) {
            throw invalid("'context' must be a string or null", actionText, userId);
        }
        String context = contextNode == null || contextNode.isNull() || contextNode.asText().isEmpty()
                ? null : contextNode.asText();
        return new ActionRequest(action, contentNode.asText(), context, userId);
    }

    private static Invalid invalid(String message, String action, String userId) {
        return new Invalid(Reply.failure(ErrorCode.INVALID_REQUEST, message), action, userId);
    }

    private static String shorten(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "…" : text;
    }
}
