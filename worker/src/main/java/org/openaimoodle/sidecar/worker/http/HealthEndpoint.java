package org.openaimoodle.sidecar.worker.http;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /health}: {@code 200 {"status":"healthy",…}}, or {@code 503 {"status":"draining",…}} once the
 * worker drains for shutdown. Exactly these two fields: the supervisor and admins' probes compare them.
 * Under supervision the answer carries the id the supervisor gave this worker ({@code SIDECAR_WORKER_ID}) in
 * {@code X-Sidecar-Worker-Id}, so that the supervisor never takes another process on the port for its worker.
 */
final class HealthEndpoint implements HttpService {
    private static final byte[] HEALTHY = "{\"status\":\"healthy\",\"service\":\"openai-moodle-sidecar\"}"
            .getBytes(StandardCharsets.UTF_8);
    private static final byte[] DRAINING = "{\"status\":\"draining\",\"service\":\"openai-moodle-sidecar\"}"
            .getBytes(StandardCharsets.UTF_8);

    private final RequestGate gate;
    /** Only a short token goes into a header: anything else in the variable is not the supervisor's id. */
    private final String workerId = Optional.ofNullable(System.getenv("SIDECAR_WORKER_ID"))
            .filter(id -> id.matches("[A-Za-z0-9-]{1,64}")).orElse(null);

    HealthEndpoint(RequestGate gate) {
        this.gate = gate;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/health", this::health)
                .any("/health", (req, res) -> RoutingErrors.methodNotAllowed(res, "GET", "/health"));
    }

    private void health(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        if (workerId != null) {
            res.header("X-Sidecar-Worker-Id", workerId);
        }
        if (gate.draining()) {
            JsonReplies.sendRetryLater(res, DRAINING);
        } else {
            JsonReplies.send(res, 200, HEALTHY);
        }
    }
}
