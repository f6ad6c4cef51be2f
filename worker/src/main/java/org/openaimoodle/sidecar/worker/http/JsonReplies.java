package org.openaimoodle.sidecar.worker.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

/** Writes JSON bodies with a status; the only way this package answers a request. */
final class JsonReplies {
    private JsonReplies() {
    }

    static void send(ServerResponse res, int status, byte[] json) {
        res.status(Status.create(status));
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(json);
    }

    static void sendRetryLater(ServerResponse res, byte[] json) {
        res.header(HeaderNames.RETRY_AFTER, "1");
        send(res, 503, json);
    }
}
