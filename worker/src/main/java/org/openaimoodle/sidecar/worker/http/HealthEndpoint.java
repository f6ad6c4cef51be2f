package org.openaimoodle.sidecar.worker.http;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /health}: {@code 200 {"status":"healthy",…}}, or {@code 503 {"status":"draining",…}} once the
 * worker drains for shutdown. Exactly these two fields: the supervisor and admins' probes compare them.
 * Under supervision the answer carries the id the supervisor gave this worker ({@code SIDECAR_WORKER_ID}) in
 * {@code X-Sidecar-Worker-Id}, so that the supervisor never takes another process on the port for its worker.
 * {@code HEAD /health} answers the same status without a body (monitoring tools use it).
 */
final class HealthEndpoint implements HttpService {
    private static final byte[] HEALTHY = "{\"status\":\"healthy\",\"service\":\"openai-moodle-sidecar\"}"
            .getBytes(StandardCharsets.UTF_8);
    private static final byte[] DRAINING = "{\"status\":\"draining\",\"service\":\"openai-moodle-sidecar\"}"
            .getBytes(StandardCharsets.UTF_8);

    private static final byte[] NO_BODY = new byte[0];

    private final RequestGate gate;
    private final String workerId;

    /**
     * @param gate     tells whether the worker drains
     * @param workerId {@code SIDECAR_WORKER_ID}; only a short token goes into a header: anything else in the
     *                 setting is not the supervisor's id
     */
    HealthEndpoint(RequestGate gate, Optional<String> workerId) {
        this.gate = gate;
        this.workerId = workerId.filter(id -> id.matches("[A-Za-z0-9-]{1,64}")).orElse(null);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/health", this::health)
                .head("/health", this::health)
                .any("/health", (req, res) -> RoutingErrors.methodNotAllowed(res, "GET, HEAD", "/health"));
    }

    private void health(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        if (workerId != null) {
            res.header("X-Sidecar-Worker-Id", workerId);
        }
        boolean head = req.prologue().method() == Method.HEAD;
        if (gate.draining()) {
            JsonReplies.sendRetryLater(res, head ? NO_BODY : DRAINING);
        } else {
            JsonReplies.send(res, 200, head ? NO_BODY : HEALTHY);
        }
    }
}
