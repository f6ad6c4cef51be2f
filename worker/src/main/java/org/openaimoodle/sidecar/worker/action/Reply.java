package org.openaimoodle.sidecar.worker.action;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The reply envelope of /ai and of stdio mode: {@code success}, {@code data}, {@code error}, plus {@code code}
 * on failure. The plugin rejects anything without {@code success}, so every answer is one of these.
 *
 * @param success whether the action produced model text
 * @param data    the model text on success, else null
 * @param error   a message for people on failure, else null
 * @param code    the error code on failure, else null
 */
public record Reply(boolean success, String data, String error, ErrorCode code) {

    /** @return a successful reply carrying the model text */
    public static Reply ok(String data) {
        return new Reply(true, data, null, null);
    }

    /** @return a failed reply */
    public static Reply failure(ErrorCode code, String error) {
        return new Reply(false, null, error, code);
    }

    /** @return {@code ok} or the error code, for the access log */
    public String outcome() {
        return success ? "ok" : code.wire();
    }

    /** @return the compact JSON form, one line */
    public String toJson() {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("success", success);
        node.put("data", data);
        node.put("error", error);
        if (!success) {
            node.put("code", code.wire());
        }
        try {
            return Json.MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings always serializes", e);
        }
    }
}
