package org.openaimoodle.sidecar.worker.action;

import java.io.IOException;
import java.util.Map;

import org.openaimoodle.sidecar.worker.json.Json;

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
        Object root;
        try {
            root = Json.parse(body);
        } catch (IOException e) {
            root = null;
        }
        if (!(root instanceof Map<?, ?> request)) {
            throw new Invalid(Reply.failure(ErrorCode.INVALID_JSON, "Invalid JSON request"), null, null);
        }
        Object actionValue = request.get("action");
        String actionText = actionValue instanceof String text ? text : null;
        Object userValue = request.get("user_id");
        String userId = switch (userValue) {
            case null -> null;
            case String text -> text;
            case Json.JsonNumber number -> number.text();
            default -> throw invalid("'user_id' must be a string, a number or null", actionText, null);
        };
        if (actionValue == null) {
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
        Object contentValue = request.get("content");
        if (contentValue != null && !(contentValue instanceof String)) {
            throw invalid("'content' must be a string", actionText, userId);
        }
        if (contentValue == null || ((String) contentValue).isBlank()) {
            throw invalid("Missing or empty 'content': send the text to " + actionText + " as a string",
                    actionText, userId);
        }
        Object contextValue = request.get("context");
        if (contextValue != null && !(contextValue instanceof String)) {
            throw invalid("'context' must be a string or null", actionText, userId);
        }
        String context = contextValue == null || ((String) contextValue).isEmpty() ? null : (String) contextValue;
        return new ActionRequest(action, (String) contentValue, context, userId);
    }

    private static Invalid invalid(String message, String action, String userId) {
        return new Invalid(Reply.failure(ErrorCode.INVALID_REQUEST, message), action, userId);
    }

    private static String shorten(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "…" : text;
    }
}
