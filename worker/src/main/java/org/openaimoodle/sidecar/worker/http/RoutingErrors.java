package org.openaimoodle.sidecar.worker.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;

import org.openaimoodle.sidecar.worker.action.ErrorCode;
import org.openaimoodle.sidecar.worker.action.Reply;

/** 404 and 405 answers, in the same JSON envelope as everything else (code {@code invalid_request}). */
final class RoutingErrors {
    private RoutingErrors() {
    }

    static void methodNotAllowed(ServerResponse res, String allowed, String path) {
        res.header(HeaderNames.ALLOW, allowed);
        JsonReplies.send(res, 405, Reply.failure(ErrorCode.INVALID_REQUEST,
                "Method not allowed: use " + allowed + " " + path).toJson());
    }

    static void notFound(ServerResponse res, String path) {
        JsonReplies.send(res, 404, Reply.failure(ErrorCode.INVALID_REQUEST,
                "Not found: " + path + " (this service answers POST /ai, POST /v1/chat/completions, GET /v1/models and GET /health)").toJson());
    }
}
