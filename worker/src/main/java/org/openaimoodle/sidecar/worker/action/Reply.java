package org.openaimoodle.sidecar.worker.action;

import org.openaimoodle.sidecar.worker.json.Json;

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

    /**
     * @return the compact JSON form, one line, as UTF-8: both HTTP and stdio write bytes, so no String is made
     */
    public byte[] toJson() {
        // Sized for text without escapes: a large answer is then written once, without copies from growing.
        long hint = 64L + (data == null ? 0 : data.length()) + (error == null ? 0 : error.length());
        return Json.toBytes((int) Math.min(hint, Integer.MAX_VALUE - 8), out -> {
            out.writeStartObject();
            out.writeBooleanField("success", success);
            out.writeStringField("data", data);
            out.writeStringField("error", error);
            if (!success) {
                out.writeStringField("code", code.wire());
            }
            out.writeEndObject();
        });
    }
}
