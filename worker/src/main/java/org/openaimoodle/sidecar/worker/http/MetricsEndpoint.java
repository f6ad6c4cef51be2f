package org.openaimoodle.sidecar.worker.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import org.openaimoodle.sidecar.worker.metrics.PrometheusMetrics;

/**
 * {@code GET /metrics}: the worker's metrics in the Prometheus text format (README, "Metrics"). Not behind
 * SIDECAR_TOKEN, like {@code /health}: it holds counts, never a user id, a prompt or a key, and a scraper should
 * not need the token that lets a client spend money.
 */
final class MetricsEndpoint implements HttpService {
    private final PrometheusMetrics metrics;

    /** @param metrics what is shown */
    MetricsEndpoint(PrometheusMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/metrics", this::metrics)
                .any("/metrics", (req, res) -> RoutingErrors.methodNotAllowed(res, "GET", "/metrics"));
    }

    private void metrics(ServerRequest req, ServerResponse res) throws IOException {
        ByteArrayOutputStream text = new ByteArrayOutputStream(8192);
        metrics.write(text);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.header(HeaderNames.CONTENT_TYPE, metrics.contentType());
        res.send(text.toByteArray());
    }
}
