package org.openaimoodle.sidecar.testkit;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;

/**
 * One sidecar installation of this checkout for one test: the real {@code shell/sidecarctl} launcher (which
 * starts the real worker through {@code shell/openai-moodle-sidecar}) with its own free port, run dir and log
 * file in the test's directory, and the {@link ProcessRun#baseEnvironment()} plus the settings given with
 * {@link #with}. Without {@link #withFakeKey} it has no API key (the actions answer {@code not_configured}).
 * {@link #close()} kills every process it started or found recorded in its run dir.
 */
public final class SidecarUnderTest implements AutoCloseable {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);

    private final Path dir;
    private final int port;
    private final Map<String, String> environment = new HashMap<>();
    private final List<Process> processes = new ArrayList<>();
    private final Set<ProcessHandle> seen = new LinkedHashSet<>();
    private int outputs;

    /** @param dir a fresh directory: run dir (created by the supervisor, as in production), log file and the output of foreground runs go here */
    public SidecarUnderTest(Path dir) {
        this.dir = dir;
        this.port = Ports.free();
        environment.putAll(ProcessRun.baseEnvironment());
        environment.put("SIDECAR_RUN_DIR", runDir().toString());
        environment.put("SIDECAR_LOG_FILE", logFile().toString());
        environment.put("SIDECAR_PORT", String.valueOf(port));
        environment.put("SIDECAR_HOST", "127.0.0.1");
        environment.put("SIDECAR_USAGE_DB", dir.resolve("usage.db").toString()); // not the machine's state dir
    }

    /** Sets one variable of the environment every command of this sidecar runs with. */
    public SidecarUnderTest with(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /** Configures {@link TestKeys#API_KEY} against the given upstream ({@link TestKeys#UNUSED_BASE_URL} for none). */
    public SidecarUnderTest withFakeKey(String baseUrl) {
        return with("OPENAI_API_KEY", TestKeys.API_KEY).with("OPENAI_BASE_URL", baseUrl);
    }

    public Path dir() {
        return dir;
    }

    public Path runDir() {
        return dir.resolve("run");
    }

    public Path logFile() {
        return dir.resolve("openai-sidecar.log");
    }

    public int port() {
        return port;
    }

    /** @return {@code http://127.0.0.1:PORT} */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** The environment every command against this sidecar runs with. */
    public Map<String, String> env() {
        return Map.copyOf(environment);
    }

    /** {@code sidecarctl run} in the foreground, as a container entrypoint runs it; its output goes to a file in {@link #dir()}. */
    public Process runInForeground() throws IOException {
        Path out = dir.resolve("launch-" + (++outputs) + ".out");
        ProcessBuilder builder = new ProcessBuilder(Checkout.SIDECARCTL.toString(), "run").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    /** Runs {@code shell/sidecarctl ARGS} to its end. */
    public ProcessRun.Finished sidecarctl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Checkout.SIDECARCTL.toString());
        command.addAll(List.of(args));
        return command(command.toArray(String[]::new));
    }

    /** Runs any command (a shim, logrotate) to its end, with this sidecar's environment. */
    public ProcessRun.Finished command(String... command) throws IOException, InterruptedException {
        return ProcessRun.run(List.of(command), environment, dir, null, COMMAND_TIMEOUT);
    }

    /** {@code sidecarctl start --wait 60}; fails the test unless the worker became healthy. */
    public void start() throws IOException, InterruptedException {
        ProcessRun.Finished started = sidecarctl("start", "--wait", "60");
        rememberPids();
        if (started.exitCode() != 0) {
            throw new AssertionError("sidecarctl start: " + started + "\nlog:\n" + logTail());
        }
    }

    /** Notes the supervisor and worker recorded in the run dir, so {@link #close()} kills them even after a restart. */
    public void rememberPids() {
        supervisor();
        worker();
    }

    /** The worker recorded in the run dir, if it is alive. */
    public Optional<ProcessHandle> worker() {
        return recorded("worker.pid");
    }

    /** The supervisor recorded in the run dir, if it is alive. */
    public Optional<ProcessHandle> supervisor() {
        return recorded("supervisor.pid");
    }

    private Optional<ProcessHandle> recorded(String file) {
        try {
            long pid = Long.parseLong(Files.readString(runDir().resolve(file)).trim().split(" ")[0]);
            Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
            process.ifPresent(seen::add);
            return process;
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code /health} answers 200 right now (from whatever process holds the port). */
    public boolean healthy() {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create(baseUrl() + "/health").toURL()
                    .openConnection();
            connection.setConnectTimeout(1_000);
            connection.setReadTimeout(1_000);
            try {
                return connection.getResponseCode() == 200;
            } finally {
                connection.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** A healthy worker's pid, if the worker recorded in the run dir answers {@code /health}. */
    public Optional<Long> healthyWorkerPid() {
        Optional<ProcessHandle> worker = worker();
        return worker.isPresent() && healthy() ? Optional.of(worker.get().pid()) : Optional.empty();
    }

    /**
     * Another process's HTTP server on this sidecar's port that answers {@code /health} 200 with the
     * worker's exact body: what a second sidecar (or anything else) holding the port looks like.
     */
    public HttpServer occupyPortWithForeignHealth() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        byte[] body = "{\"status\":\"healthy\",\"service\":\"openai-moodle-sidecar\"}".getBytes(StandardCharsets.UTF_8);
        server.createContext("/health", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    /** The whole log file, or "" before it exists. */
    public String log() throws IOException {
        return Files.exists(logFile()) ? Files.readString(logFile(), StandardCharsets.UTF_8) : "";
    }

    /** The last 30 lines of the log file, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.exists(logFile()) ? Files.readAllLines(logFile()) : List.of();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Sends a signal the JDK has no API for (SIGSTOP, SIGCONT). */
    public static void signal(String name, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(pid)).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + name + " " + pid + " failed");
        }
    }

    @Override
    public void close() {
        rememberPids();
        List<ProcessHandle> all = new ArrayList<>(seen);
        for (Process process : processes) {
            all.add(process.toHandle());
        }
        for (ProcessHandle process : List.copyOf(all)) {
            all.addAll(process.descendants().toList());
        }
        all.forEach(ProcessHandle::destroyForcibly); // SIGKILL ends SIGSTOPped processes too
        for (ProcessHandle process : all) {
            process.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }
}
