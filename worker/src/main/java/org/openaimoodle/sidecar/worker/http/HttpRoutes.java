package org.openaimoodle.sidecar.worker.http;

import io.helidon.webserver.http.HttpRouting;

import org.openaimoodle.sidecar.worker.action.ActionService;
import org.openaimoodle.sidecar.worker.config.WorkerConfig;
import org.openaimoodle.sidecar.worker.metrics.PrometheusMetrics;

/** Every route of the worker, in one place: the server and the in-process route tests build the same routing. */
public final class HttpRoutes {
    private HttpRoutes() {
    }

    /**
     * Adds the filter ({@link RequestHygiene}), {@code /health}, {@code /metrics} (a registry of its own, for the
     * route tests), {@code /ai}, the OpenAI-compatible {@code /v1}
     * ({@link OpenAiEndpoint}) and the 404 for everything else. /ai and /v1 share one {@link Intake}.
     *
     * @param routing the routing to fill
     * @param config  the configuration (body limit, token, accepted hosts)
     * @param service the actions behind /ai
     * @param gate    admission and drain state
     * @return the same routing builder
     */
    public static HttpRouting.Builder routing(HttpRouting.Builder routing, WorkerConfig config, ActionService service,
                                              RequestGate gate) {
        return routing(routing, config, service, gate, HttpMode.metrics(config, () -> 0));
    }

    /**
     * As above, with {@code GET /metrics} ({@link MetricsEndpoint}) showing {@code metrics}.
     *
     * @param metrics the worker's metrics
     * @return the same routing builder
     */
    public static HttpRouting.Builder routing(HttpRouting.Builder routing, WorkerConfig config, ActionService service,
                                              RequestGate gate, PrometheusMetrics metrics) {
        Intake intake = new Intake(gate, config.maxBodyBytes(), config.token());
        return routing
                .addFilter(new RequestHygiene(new LocalHosts(config.host(), config.allowedHosts()), gate))
                .register(new HealthEndpoint(gate, config.workerId()))
                .register(new MetricsEndpoint(metrics))
                .register(new AiEndpoint(service, intake))
                .register(new OpenAiEndpoint(intake, service.client(), service.costs(),
                        config.modelAliases(), config.requestTimeout(),
                        config.streamIdleTimeout(), config.maxUpstreamReplyBytes()))
                .any((req, res) -> RoutingErrors.notFound(res, req.path().path()));
    }
}
