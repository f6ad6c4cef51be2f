package org.openaimoodle.sidecar.worker.http;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http1.Http1Config;

import org.openaimoodle.sidecar.common.ReusePort;
import org.openaimoodle.sidecar.common.SecretMasker;
import org.openaimoodle.sidecar.worker.action.ActionService;
import org.openaimoodle.sidecar.worker.config.WorkerConfig;
import org.openaimoodle.sidecar.worker.memory.MemoryBudget;
import org.openaimoodle.sidecar.worker.memory.QuietHeapRelease;
import org.openaimoodle.sidecar.worker.metrics.LabelValues;
import org.openaimoodle.sidecar.worker.metrics.PrometheusMetrics;
import org.openaimoodle.sidecar.worker.upstream.HelidonTransport;
import org.openaimoodle.sidecar.worker.upstream.UpstreamTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * HTTP mode's wiring: the Helidon SE server on SIDECAR_HOST:SIDECAR_PORT with {@link HttpRoutes}, every connection
 * guarded by {@link ConnectionGuard}, and its way out in {@link WorkerLifecycle}.
 */
public final class HttpMode {
    private static final Logger LOG = LoggerFactory.getLogger("worker");
    /** Connections Helidon may accept beyond SIDECAR_MAX_CONNECTIONS, so that the guard can make room. */
    private static final int ACCEPT_RESERVE = 16;
    /** Helidon's default accept backlog, kept as the floor of ours. */
    private static final int DEFAULT_BACKLOG = 1024;
    /** Where Linux caps every listen backlog (net.core.somaxconn). */
    private static final Path SOMAXCONN = Path.of("/proc/sys/net/core/somaxconn");

    private HttpMode() {
    }

    /**
     * @param config the configuration
     * @return the upstream transport of HTTP mode (Helidon's WebClient, pooled connections)
     */
    public static UpstreamTransport upstreamTransport(WorkerConfig config) {
        return new HelidonTransport(config.connectTimeout(), Math.min(config.maxConcurrentRequests(), IDLE_UPSTREAM),
                config.maxUpstreamReplyBytes());
    }

    /**
     * Idle upstream connections kept for reuse. Each held about 60 KB even after the upstream had closed it: with
     * 1024, a burst of 2,000 requests left the worker 65 MB above its idle RSS 60 s later (141 vs 70 MB); with 64,
     * 23 MB (93 MB), the burst as fast (3.5 s). 64 covers the steady load of figure 1 (up to 64 clients).
     */
    private static final int IDLE_UPSTREAM = 64;

    /**
     * @param config             the configuration (known actions, the model label bound, the supervisor's restarts)
     * @param usageWriteFailures usage records not stored so far
     * @return HTTP mode's metrics, this process's start time included; only HTTP mode loads the Prometheus client
     */
    public static PrometheusMetrics metrics(WorkerConfig config, java.util.function.LongSupplier usageWriteFailures) {
        java.time.Instant started = ProcessHandle.current().info().startInstant().orElseGet(java.time.Instant::now);
        return new PrometheusMetrics(new LabelValues(config.cacheActions(), config.metricsMaxModels()),
                config.supervisorRestarts(), started, usageWriteFailures);
    }

    /**
     * Starts the server and returns once it listens; the process then lives until SIGTERM or stdin EOF.
     *
     * @param config    the configuration
     * @param service   the actions behind /ai
     * @param transport the transport {@code service} uses, warmed up in the background
     * @param metrics   what {@code GET /metrics} shows; it counts the requests in flight from here on
     * @return the bound port
     * @throws PortUnavailableException when the server cannot listen on the configured host and port
     */
    public static int start(WorkerConfig config, ActionService service, UpstreamTransport transport,
                            PrometheusMetrics metrics) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        RequestGate gate = new RequestGate(config.maxConcurrentRequests(),
                MemoryBudget.ofHeapPercent(config.memoryBudgetPercent()));
        metrics.countInFlight(gate::inFlight);
        AtomicReference<ConnectionGuard> guard = new AtomicReference<>();
        boolean reusePort = config.supervised() && ReusePort.supported();
        WebServer server = server(config, service, gate, metrics, guard::set, reusePort).start();
        if (!server.isRunning()) {
            // Helidon logs the bind failure and returns a server that is not running (port -1) instead of
            // throwing; without this check the process would log "listening on ...:-1" and exit 0.
            throw new PortUnavailableException(config.host(), config.port());
        }
        new WorkerLifecycle(gate, config.drainBudget(), server::stop, guard.get(), () -> closeListeners(server))
                .watch(config.supervised());
        if (config.supervised() && !reusePort) {
            LOG.warn("SO_REUSEPORT is not supported here: a restart cannot start the new worker beside this one");
        }
        warnIfKernelCapsBacklog(backlog(config));
        QuietHeapRelease.start(gate::admittedSoFar, gate::inFlight);
        if (config.apiKey().isPresent() && transport instanceof HelidonTransport helidon) {
            Thread.ofVirtual().name("webclient-warm-up").start(helidon::warmUp);
        }
        LOG.info("listening on http://{}:{} (model {}, upstream {}, API key {})", config.host(), server.port(),
                config.model(), config.upstreamShown(), config.apiKey().map(SecretMasker::mask).orElse("not set"));
        if (config.apiKey().isEmpty()) {
            LOG.warn("OPENAI_API_KEY is not set: /ai answers not_configured until it is");
        }
        return server.port();
    }

    private static WebServer server(WorkerConfig config, ActionService service, RequestGate gate,
                                    PrometheusMetrics metrics, Consumer<ConnectionGuard> guard, boolean reusePort) {
        WebServerConfig.Builder server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .shutdownHook(false); // ours drains first, then stops the server
        if (reusePort) {
            // The supervisor starts a new worker on the same port beside this one before this one hands over
            // (zero-downtime restart). Only a process of the same user can join the port (Linux).
            server.putListenerSocketOption(StandardSocketOptions.SO_REUSEADDR, true)
                    .putListenerSocketOption(StandardSocketOptions.SO_REUSEPORT, true);
        }
        return configure(server, config, service, gate, metrics, guard).build();
    }

    /**
     * The accept backlog: as many connections as the worker holds ({@code SIDECAR_MAX_CONNECTIONS} and the reserve).
     * A connection that finds the accept queue full is not refused: its SYN is dropped and TCP sends it again only
     * after 1 s, so with Helidon's default of 1024, of a burst of 2,000 connections arriving while the worker cannot
     * accept for a moment (a GC pause, its accept thread waiting for a core) every one beyond 1024 lost a second
     * (the burst of BENCHMARKS.md, figure 2, on a loaded machine, or with the worker stopped for 0.6 s). The kernel
     * caps it at {@code net.core.somaxconn}; the queue costs kernel memory only for connections waiting in it.
     *
     * @param config the configuration
     * @return the backlog to listen with
     */
    static int backlog(WorkerConfig config) {
        return Math.max(DEFAULT_BACKLOG, config.maxConnections() + ACCEPT_RESERVE);
    }

    /** Says once at start when the kernel caps the accept queue below {@code wanted} (Linux; elsewhere silent). */
    private static void warnIfKernelCapsBacklog(int wanted) {
        try {
            // Files.readString reads "4" of "4096" here: procfs files report size 0; read them by line.
            int cap = Integer.parseInt(Files.readAllLines(SOMAXCONN).get(0).strip());
            if (cap < wanted) {
                LOG.warn("the kernel caps the accept queue at {} connections (net.core.somaxconn), below the {} this "
                        + "worker holds: in a burst the connections beyond it wait 1 s for TCP to retry; raise "
                        + "net.core.somaxconn to {} to avoid that", cap, wanted, wanted);
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: nothing to say
        }
    }

    /**
     * Closes the server's listening sockets and nothing else: open connections keep being served (a handover).
     * Helidon 4.5 has no API for it ({@code stop()} also closes every connection), so this reaches its listeners'
     * fields: {@code running} false first, so that its accept loop ends quietly instead of stopping the server.
     *
     * @return false when that is impossible (another Helidon version); the caller then keeps accepting
     */
    static boolean closeListeners(WebServer server) {
        try {
            Field listenersField = server.getClass().getDeclaredField("listeners");
            listenersField.setAccessible(true);
            for (Object listener : ((Map<?, ?>) listenersField.get(server)).values()) {
                Field running = listener.getClass().getDeclaredField("running");
                Field socket = listener.getClass().getDeclaredField("serverSocket");
                running.setAccessible(true);
                socket.setAccessible(true);
                running.setBoolean(listener, false);
                ((ServerSocketChannel) socket.get(listener)).close();
            }
            return true;
        } catch (ReflectiveOperationException | IOException | RuntimeException e) {
            LOG.warn("cannot close the listening socket alone: {}", e.toString());
            return false;
        }
    }

    /**
     * Everything but the address: connection handling and routes; the route tests configure their server with it.
     *
     * @return the same builder
     */
    static WebServerConfig.Builder configure(WebServerConfig.Builder server, WorkerConfig config,
                                             ActionService service, RequestGate gate) {
        return configure(server, config, service, gate, metrics(config, () -> 0), created -> { });
    }

    /**
     * As above, with the worker's own metrics; {@code guardUser} receives the connection guard (a handover closes its
     * idle connections).
     */
    @SuppressWarnings("removal") // validateRequestHostHeader: see below
    static WebServerConfig.Builder configure(WebServerConfig.Builder server, WorkerConfig config,
                                             ActionService service, RequestGate gate, PrometheusMetrics metrics,
                                             Consumer<ConnectionGuard> guardUser) {
        Http1Config http1 = Http1Config.builder()
                .addReceiveListener(ConnectionGuard.receiveListener())
                .addSendListener(ConnectionGuard.sendListener())
                // HTTP/1.0 requests may lack Host; RequestHygiene decides which Host values are served.
                .validateRequestHostHeader(false)
                .build();
        ConnectionGuard guard = new ConnectionGuard(http1, config.maxConnections(), config.idleTimeout(),
                config.headerTimeout());
        guardUser.accept(guard);
        return server
                .protocolsDiscoverServices(false) // the guard is the only connection selector (see there)
                .addConnectionSelector(guard)
                .maxTcpConnections(config.maxConnections() + ACCEPT_RESERVE)
                .backlog(backlog(config))
                .routing(routing -> HttpRoutes.routing(routing, config, service, gate, metrics));
    }
}
