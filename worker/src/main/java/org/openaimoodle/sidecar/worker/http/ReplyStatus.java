package org.openaimoodle.sidecar.worker.http;

import org.openaimoodle.sidecar.worker.action.ErrorCode;
import org.openaimoodle.sidecar.worker.action.Reply;

/**
 * The HTTP status of an action's reply, in one place: /ai sends it, and stdio mode writes it in its access line
 * so both modes log the same. Free of Helidon types, so stdio mode does not load the web server.
 */
public final class ReplyStatus {
    private ReplyStatus() {
    }

    /**
     * @return 400 for a body that is not a JSON object, 413 for one over the size limit, 503 when the worker had
     *         no room for the answer (a fallback helps), else 200 (action failures travel in the envelope)
     */
    public static int of(Reply reply) {
        if (reply.success()) {
            return 200;
        }
        return switch (reply.code()) {
            case INVALID_JSON -> 400;
            case PAYLOAD_TOO_LARGE -> 413;
            case UNAVAILABLE -> 503; // no memory budget for the upstream's answer (HTTP mode only)
            default -> 200;
        };
    }
}
