package org.openaimoodle.sidecar.worker;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;

import org.openaimoodle.sidecar.common.ConfigException;
import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.worker.action.ActionService;
import org.openaimoodle.sidecar.worker.config.CommandLineFlags;
import org.openaimoodle.sidecar.worker.config.ConfigLoader;
import org.openaimoodle.sidecar.worker.config.WorkerConfig;
import org.openaimoodle.sidecar.worker.log.AccessLog;
import org.openaimoodle.sidecar.worker.log.LogSetup;
import org.openaimoodle.sidecar.worker.metrics.CountingRecorder;
import org.openaimoodle.sidecar.worker.metrics.Metrics;
import org.openaimoodle.sidecar.worker.metrics.PrometheusMetrics;
import org.openaimoodle.sidecar.worker.stdio.StdioMode;
import org.openaimoodle.sidecar.worker.upstream.ChatCompletionsClient;
import org.openaimoodle.sidecar.worker.upstream.RetryPolicy;
import org.openaimoodle.sidecar.worker.upstream.UpstreamTransport;
import org.openaimoodle.sidecar.worker.upstream.UrlConnectionTransport;
import org.openaimoodle.sidecar.worker.usage.SpoolUsageWriter;
import org.openaimoodle.sidecar.worker.usage.SqliteUsageWriter;
import org.openaimoodle.sidecar.worker.usage.UsageRecorder;

/**
 * Entry point of the worker: reads flags and configuration, then runs HTTP mode ({@code --http-mode}) or
 * stdio mode. Exit codes ({@link ExitCodes}, docs/internals.md): 0 clean stop, 1 cannot listen on the HTTP port,
 * 2 bad flags (or a bad value given as a flag), 78 invalid configuration.
 * The HTTP classes are only touched in HTTP mode, so stdio mode never loads the web server.
 */
public final class Main {
    /** How long a worker waits for its queued usage records to be stored before it exits anyway. */
    private static final java.time.Duration USAGE_CLOSE_BOUND = java.time.Duration.ofSeconds(1);

    private Main() {
    }

    /**
     * @param args the command line
     * @throws IOException when stdin cannot be read in stdio mode
     */
    public static void main(String[] args) throws IOException {
        // Keep stdout for replies (stdio) and logs (HTTP) alone: nothing else may print to it by accident.
        PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
        WorkerConfig config;
        try {
            CommandLineFlags flags = CommandLineFlags.parse(List.of(args));
            if (flags.help()) {
                stdout.println(CommandLineFlags.USAGE);
                System.exit(0);
            }
            config = ConfigLoader.load(flags, System.getenv());
        } catch (ConfigException e) {
            System.err.println("ERROR config: " + e.getMessage());
            if (e.fromCommandLine()) {
                System.err.println(CommandLineFlags.USAGE);
            }
            System.exit(e.exitCode());
            return;
        }
        LogSetup.select(config.httpMode(), !config.supervised(), config.secretMasker());
        if (!config.httpMode()) {
            System.setOut(System.err); // stray prints (libraries, JVM) must not corrupt the JSON replies
        }
        // HttpMode is only touched in HTTP mode: stdio mode must not load the web server's classes.
        UpstreamTransport transport = config.httpMode()
                ? org.openaimoodle.sidecar.worker.http.HttpMode.upstreamTransport(config)
                : new UrlConnectionTransport(config.connectTimeout(), config.maxUpstreamReplyBytes());
        UsageRecorder usage = usageRecorder(config);
        if (!config.httpMode()) {
            ActionService service = service(config, transport, Metrics.NONE);
            AccessLog.recordUsageTo(usage);
            int exit = StdioMode.run(service, System.in, stdout, config.maxBodyBytes());
            usage.close(USAGE_CLOSE_BOUND); // the replies are out; the store gets a bounded moment, then exit
            System.exit(exit);
        }
        // Metrics are HTTP mode's too: stdio mode never loads the Prometheus client.
        PrometheusMetrics metrics = org.openaimoodle.sidecar.worker.http.HttpMode.metrics(config,
                usage::unstoredRecords);
        ActionService service = service(config, transport, metrics);
        AccessLog.recordUsageTo(new CountingRecorder(metrics, usage));
        // Records still queued when the worker stops get the same bounded moment as stdio's.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> usage.close(USAGE_CLOSE_BOUND), "usage-close"));
        try {
            org.openaimoodle.sidecar.worker.http.HttpMode.start(config, service, transport, metrics);
        } catch (org.openaimoodle.sidecar.worker.http.PortUnavailableException e) {
            System.err.println("ERROR " + e.getMessage());
            System.exit(ExitCodes.FAILED); // the port is held by another process, or the host is wrong
        }
        // the server's threads keep the process alive until SIGTERM or stdin EOF
    }

    /**
     * The one place the actions and their upstream client are built, for both modes.
     *
     * @param config    the configuration
     * @param transport how the client reaches the upstream
     * @param metrics   where upstream attempts, cache lookups and limit refusals are counted
     * @return the action service; its client is absent without an API key
     */
    static ActionService service(WorkerConfig config, UpstreamTransport transport, Metrics metrics) {
        Optional<ChatCompletionsClient> client = config.apiKey().map(key -> new ChatCompletionsClient(
                transport, config.chatCompletionsUri(), key, config.model(), RetryPolicy.DEFAULT, metrics));
        // Limits and the cache are HTTP mode's: a stdio process answers one request, and must not load them.
        // With SIDECAR_REDIS_URL they are the site's, shared by every node through Redis.
        return new ActionService(config, client, !config.httpMode()
                ? org.openaimoodle.sidecar.worker.limits.CostControl.NONE
                : config.redisUrl().isPresent()
                ? org.openaimoodle.sidecar.worker.redis.RedisNode.of(config).costControl(metrics)
                : org.openaimoodle.sidecar.worker.limits.LocalCostControl.of(config, metrics));
    }

    /**
     * @param config the configuration
     * @return where usage records go: the site's Redis stream for an HTTP worker with SIDECAR_REDIS_URL (so
     *         {@code sidecarctl usage} on any node reports every node), else the SQLite store
     */
    static UsageRecorder usageRecorder(WorkerConfig config) {
        if (!config.httpMode()) {
            // stdio appends its records to the spool beside the store: opening SQLite (or Redis) would cost it more
            // than its request. A worker without Redis, and sidecarctl usage, import the spool into the store.
            return new SpoolUsageWriter(config.usageDb(), config.usageSpoolMaxBytes());
        }
        return config.redisUrl().isPresent()
                ? org.openaimoodle.sidecar.worker.redis.RedisNode.of(config).usageRecorder()
                : new SqliteUsageWriter(config.usageDb(), config.usageRetentionDays());
    }
}
