package org.openaimoodle.sidecar.worker.http;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;

import io.helidon.webserver.WebServer;

import org.openaimoodle.sidecar.common.SecretMasker;
import org.openaimoodle.sidecar.worker.action.ActionService;
import org.openaimoodle.sidecar.worker.config.WorkerConfig;
import org.openaimoodle.sidecar.worker.log.LogSetup;
import org.openaimoodle.sidecar.worker.upstream.ChatCompletionsClient;
import org.openaimoodle.sidecar.worker.upstream.HelidonTransport;
import org.openaimoodle.sidecar.worker.upstream.RetryPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * HTTP mode: the Helidon SE server with {@code GET /health} and {@code POST /ai}, and its way out. SIGTERM
 * (or SIGINT) drains — health turns 503 {@code draining}, new /ai requests get 503, admitted ones finish within
 * the request deadline — then the process exits 0. Under the supervisor, EOF on stdin means the supervisor is
 * gone: the worker drains for at most a second and exits, so it never keeps the port (docs/internals.md).
 */
public final class HttpMode {
    private static final Logger LOG = LoggerFactory.getLogger("worker");
    /** Drain budget after stdin EOF: the supervisor contract is "exit within 2 s". */
    private static final Duration ORPHAN_DRAIN = Duration.ofSeconds(1);

    private final WorkerConfig config;
    private final RequestGate gate;
    private WebServer server;
    private boolean stopped;

    private HttpMode(WorkerConfig config) {
        this.config = config;
        this.gate = new RequestGate(config.maxConcurrentRequests());
    }

    /**
     * Starts the server and returns once it listens; the process then lives until SIGTERM or stdin EOF.
     *
     * @param config the configuration
     * @return the bound port
     * @throws PortUnavailableException when the server cannot listen on the configured host and port
     */
    public static int start(WorkerConfig config) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        return new HttpMode(config).listen();
    }

    private int listen() {
        HelidonTransport transport =
                new HelidonTransport(config.connectTimeout(), Math.min(config.maxConcurrentRequests(), 1024),
                        config.maxUpstreamReplyBytes());
        Optional<ChatCompletionsClient> client = config.apiKey().map(key -> new ChatCompletionsClient(transport,
                config.chatCompletionsUri(), key, config.model(), RetryPolicy.DEFAULT));
        ActionService service = new ActionService(config, client);
        server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .shutdownHook(false) // ours drains first, then stops the server
                .routing(routing -> routing
                        .register(new HealthEndpoint(gate))
                        .register(new AiEndpoint(service, gate, config.maxBodyBytes(), config.token()))
                        .any((req, res) -> RoutingErrors.notFound(res, req.path().path())))
                .build()
                .start();
        if (!server.isRunning()) {
            // Helidon logs the bind failure and returns a server that is not running (port -1) instead of
            // throwing; without this check the process would log "listening on ...:-1" and exit 0.
            throw new PortUnavailableException(config.host(), config.port());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::onSignal, "drain"));
        if (client.isPresent()) {
            Thread.ofVirtual().name("webclient-warm-up").start(transport::warmUp);
        }
        if (config.supervised()) {
            Thread.ofPlatform().daemon().name("supervisor-watch").start(this::exitWhenStdinCloses);
        }
        LOG.info("listening on http://{}:{} (model {}, upstream {}, API key {})", config.host(), server.port(),
                config.model(), config.upstreamShown(), config.apiKey().map(SecretMasker::mask).orElse("not set"));
        if (config.apiKey().isEmpty()) {
            LOG.warn("OPENAI_API_KEY is not set: /ai answers not_configured until it is");
        }
        return server.port();
    }

    private void onSignal() {
        stop(config.drainBudget());
        // The JVM would exit 143 after SIGTERM; a drained stop is a clean stop (docs/internals.md: exit 0).
        LogSetup.flush();
        Runtime.getRuntime().halt(0);
    }

    private void exitWhenStdinCloses() {
        try (InputStream in = System.in) {
            byte[] sink = new byte[256];
            while (in.read(sink) >= 0) {
                // the supervisor never writes; anything read is ignored
            }
        } catch (IOException e) {
            // a broken pipe means the same as EOF
        }
        LOG.warn("stdin closed: the supervisor is gone; stopping");
        // Drain in another thread and wait a bounded time: a SIGTERM drain already under way (which may last
        // the whole request deadline) must not hold an orphan past the 2 s contract.
        Thread stopper = Thread.ofPlatform().name("orphan-stop").start(() -> stop(ORPHAN_DRAIN));
        try {
            stopper.join(ORPHAN_DRAIN.plusMillis(500));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LogSetup.flush();
        Runtime.getRuntime().halt(0);
    }

    private synchronized void stop(Duration budget) {
        if (stopped) {
            return;
        }
        stopped = true;
        LOG.info("draining: waiting up to {} ms for requests in flight", budget.toMillis());
        try {
            if (!gate.drain(budget)) {
                LOG.warn("drain budget used up; stopping with requests still in flight");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.stop();
        LOG.info("stopped");
    }
}
