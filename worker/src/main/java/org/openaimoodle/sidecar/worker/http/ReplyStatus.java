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

    /** @return 400 for a body that is not a JSON object, else 200 (action failures travel in the envelope) */
    public static int of(Reply reply) {
        return !reply.success() && reply.code() == ErrorCode.INVALID_JSON ? 400 : 200;
    }
}
