package org.openaimoodle.sidecar.supervisor.it;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;

/**
 * One sidecar installation for one test: the real {@code shell/sidecarctl} launcher (which starts the
 * real worker through {@code shell/openai-moodle-sidecar}), its own free port, run dir and log file.
 * {@link #close()} kills every process it started or found recorded in its run dir.
 */
final class SidecarUnderTest implements AutoCloseable {
    static final String FAKE_KEY = "sk-test-FAKE1234567890abcd";
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    private static final Path SIDECARCTL = ROOT.resolve("shell/sidecarctl");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);

    /** A finished sidecarctl command. */
    record Result(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }

    final Path dir;
    final Path runDir;
    final Path logFile;
    final int port;
    private final Map<String, String> environment = new HashMap<>();
    private final List<Process> processes = new ArrayList<>();
    private final List<ProcessHandle> seen = new ArrayList<>();
    private int outputs;

    SidecarUnderTest(Path dir) throws IOException {
        this.dir = dir;
        this.runDir = dir.resolve("run");
        this.logFile = dir.resolve("log/openai-sidecar.log");
        this.port = freePort();
        environment.put("SIDECAR_RUN_DIR", runDir.toString());
        environment.put("SIDECAR_LOG_FILE", logFile.toString());
        environment.put("SIDECAR_PORT", String.valueOf(port));
        environment.put("OPENAI_API_KEY", FAKE_KEY);
        environment.put("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"); // never called: no test sends /ai
    }

    SidecarUnderTest with(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /** {@code sidecarctl run} in the foreground, as a container entrypoint runs it. */
    Process run() throws IOException {
        return launch(List.of("run"));
    }

    /** Runs a sidecarctl command to its end. */
    Result ctl(String... args) throws IOException, InterruptedException {
        Path out = dir.resolve("ctl-" + (++outputs) + ".out");
        Path err = dir.resolve("ctl-" + outputs + ".err");
        ProcessBuilder builder = builder(List.of(args)).redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        processes.add(process);
        if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("sidecarctl " + String.join(" ", args) + " did not finish in " + COMMAND_TIMEOUT);
        }
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    private Process launch(List<String> args) throws IOException {
        Path out = dir.resolve("launch-" + (++outputs) + ".out");
        Process process = builder(args).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        processes.add(process);
        return process;
    }

    private ProcessBuilder builder(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(SIDECARCTL.toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        // Nothing of the developer's own sidecar settings may leak into a test.
        builder.environment().keySet().removeIf(name -> name.startsWith("SIDECAR_") || name.startsWith("OPENAI_"));
        builder.environment().putAll(environment);
        return builder;
    }

    /** The worker recorded in the run dir, if it is alive. */
    Optional<ProcessHandle> worker() {
        return recorded("worker.pid");
    }

    /** The supervisor recorded in the run dir, if it is alive. */
    Optional<ProcessHandle> supervisor() {
        return recorded("supervisor.pid");
    }

    private Optional<ProcessHandle> recorded(String file) {
        try {
            long pid = Long.parseLong(Files.readString(runDir.resolve(file)).trim().split(" ")[0]);
            Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
            process.ifPresent(seen::add);
            return process;
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code /health} answers 200 right now (from whatever process holds the port). */
    boolean healthy() {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/health")
                    .toURL().openConnection();
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

    /**
     * Another process's HTTP server on this sidecar's port that answers {@code /health} 200 with the
     * worker's exact body: what a second sidecar (or anything else) holding the port looks like.
     */
    HttpServer occupyPortWithForeignHealth() throws IOException {
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

    /** A healthy worker's pid, if the worker recorded in the run dir answers {@code /health}. */
    Optional<Long> healthyWorkerPid() {
        Optional<ProcessHandle> worker = worker();
        return worker.isPresent() && healthy() ? Optional.of(worker.get().pid()) : Optional.empty();
    }

    String log() throws IOException {
        return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
    }

    /** Sends a signal the JDK has no API for (SIGSTOP, SIGCONT). */
    static void signal(String name, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(pid)).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + name + " " + pid + " failed");
        }
    }

    @Override
    public void close() {
        supervisor();
        worker();
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

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
