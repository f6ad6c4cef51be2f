package org.openaimoodle.sidecar.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A worker started as a real process through the launcher {@code shell/openai-moodle-sidecar}
 * ({@link Checkout#WORKER_LAUNCHER}), with the {@link ProcessRun#baseEnvironment()} plus the given settings and
 * its merged stdout/stderr in a temp file. {@link #close()} kills it (and anything it started) if it still runs.
 */
public final class WorkerUnderTest implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private WorkerUnderTest(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /**
     * Starts {@code openai-moodle-sidecar --http-mode} on a free port and waits until /health answers.
     *
     * @param dir   temp dir for the log file
     * @param env   extra environment (SIDECAR_PORT is set here)
     * @param stdin whether stdin is a pipe kept open (as the supervisor does) instead of /dev/null
     */
    public static WorkerUnderTest startHttp(Path dir, Map<String, String> env, boolean stdin) throws IOException {
        WorkerUnderTest worker = launch(dir, env, stdin, List.of("--http-mode"));
        await("worker healthy").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!worker.process.isAlive()) {
                        throw new AssertionError("worker exited with " + worker.process.exitValue() + ":\n"
                                + worker.log());
                    }
                    try {
                        return worker.get("/health").statusCode() == 200;
                    } catch (IOException e) {
                        return false;
                    }
                });
        return worker;
    }

    /** Starts the worker without waiting for anything (args as the launcher takes them, e.g. {@code --http-mode}). */
    public static WorkerUnderTest launch(Path dir, Map<String, String> env, boolean stdin, List<String> args)
            throws IOException {
        int port = Ports.free();
        Path log = Files.createTempFile(dir, "worker-", ".log");
        List<String> command = new ArrayList<>();
        command.add(Checkout.WORKER_LAUNCHER.toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        if (!stdin) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Map<String, String> all = new HashMap<>(ProcessRun.baseEnvironment());
        all.putAll(env);
        all.putIfAbsent("SIDECAR_PORT", Integer.toString(port));
        all.putIfAbsent("SIDECAR_USAGE_DB", dir.resolve("usage.db").toString()); // not the machine's state dir
        builder.environment().clear();
        builder.environment().putAll(all);
        return new WorkerUnderTest(builder.start(), log, Integer.parseInt(all.get("SIDECAR_PORT")));
    }

    public Process process() {
        return process;
    }

    public int port() {
        return port;
    }

    public String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** @return the log, or what went wrong reading it (for assertion messages) */
    public String logUnchecked() {
        try {
            return log();
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(40))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> ai(String body) throws IOException, InterruptedException {
        return post("/ai", body);
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        http.close();
    }
}
