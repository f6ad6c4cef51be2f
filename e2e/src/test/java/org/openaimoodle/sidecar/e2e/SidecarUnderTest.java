package org.openaimoodle.sidecar.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One sidecar of this checkout, started with {@code shell/sidecarctl} in its own run dir, log file
 * and free port. {@link #close()} stops it and kills whatever it left, so no test leaks a process.
 */
final class SidecarUnderTest implements AutoCloseable {

    /** A fake key in the shape of a real one; it must never show up in any output. */
    static final String FAKE_KEY = "sk-test-FAKE1234567890abcd";

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    private static final Pattern PID_FIELD = Pattern.compile("\"(?:supervisor_pid|worker_pid)\"\\s*:\\s*(\\d+)");

    private final Path dir;
    private final int port;
    private final Map<String, String> env = new HashMap<>();
    private final Set<Long> seenPids = new HashSet<>();

    /**
     * @param dir      a fresh temp dir: run dir, log file and anything else of this sidecar go here
     * @param extraEnv added to the environment (e.g. OPENAI_API_KEY, OPENAI_BASE_URL)
     */
    SidecarUnderTest(Path dir, Map<String, String> extraEnv) {
        this.dir = dir;
        this.port = freePort();
        try {
            Files.createDirectories(runDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        env.putAll(baseEnvironment());
        env.put("SIDECAR_RUN_DIR", runDir().toString());
        env.put("SIDECAR_LOG_FILE", logFile().toString());
        env.put("SIDECAR_PORT", Integer.toString(port));
        env.put("SIDECAR_HOST", "127.0.0.1");
        env.putAll(extraEnv);
    }

    /** PATH, HOME and the JDK of this test JVM; nothing else from the outside (no real API key). */
    static Map<String, String> baseEnvironment() {
        Map<String, String> base = new HashMap<>();
        base.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        base.put("HOME", System.getProperty("user.home"));
        base.put("JAVA_HOME", Path.of(Checkout.java()).getParent().getParent().toString());
        base.put("LANG", "C.UTF-8");
        return base;
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path runDir() {
        return dir.resolve("run");
    }

    Path logFile() {
        return dir.resolve("openai-sidecar.log");
    }

    int port() {
        return port;
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** The environment every command against this sidecar runs with. */
    Map<String, String> env() {
        return Map.copyOf(env);
    }

    /** Runs {@code shell/sidecarctl ARGS} (or another command) against this sidecar. */
    ProcessRun.Finished run(String... command) throws IOException, InterruptedException {
        return ProcessRun.run(List.of(command), env, dir, null, COMMAND_TIMEOUT);
    }

    ProcessRun.Finished sidecarctl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Checkout.SIDECARCTL.toString());
        command.addAll(List.of(args));
        return run(command.toArray(String[]::new));
    }

    /** {@code sidecarctl start --wait 60}; fails the test unless the worker became healthy. */
    void start() throws IOException, InterruptedException {
        ProcessRun.Finished started = sidecarctl("start", "--wait", "60");
        rememberPids();
        assertEquals(0, started.exitCode(), () -> "sidecarctl start: " + started + "\nlog:\n" + logTail());
    }

    /** Notes the supervisor's and worker's pids, so {@link #close()} can kill what a stop left. */
    void rememberPids() throws IOException, InterruptedException {
        Matcher pids = PID_FIELD.matcher(sidecarctl("status", "--json").output());
        while (pids.find()) {
            seenPids.add(Long.parseLong(pids.group(1)));
        }
    }

    String logTail() {
        try {
            List<String> lines = Files.exists(logFile()) ? Files.readAllLines(logFile()) : List.of();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            rememberPids();
            sidecarctl("stop");
        } finally {
            for (long pid : seenPids) {
                ProcessHandle.of(pid).ifPresent(process -> {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                });
            }
        }
    }
}
