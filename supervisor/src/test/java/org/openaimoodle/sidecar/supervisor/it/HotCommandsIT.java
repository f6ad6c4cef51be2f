package org.openaimoodle.sidecar.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.supervisor.control.ControlServer;
import org.openaimoodle.sidecar.supervisor.rundir.ProcessRole;
import org.openaimoodle.sidecar.supervisor.rundir.RunDirectory;
import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;

/**
 * {@code sidecarctl status} and {@code check} answer without picocli ({@code HotCommands}); here each answer of
 * the launcher, as an administrator runs it, is compared with picocli's for the same command line
 * ({@code SidecarctlCommand}'s own main): same stdout, same stderr, same exit code. The supervisor is this test
 * JVM (recorded in the run dir, answering on a control socket with a fixed status), so that both runs see exactly
 * the same state; the worker's {@code /health} is a small HTTP server. Real supervisors: {@link SidecarctlIT}.
 */
class HotCommandsIT {
    private static final String WORKER_ID = "0123456789abcdef0123456789abcdef";
    private static final Path SUPERVISOR_JAR = Checkout.ROOT.resolve(
            "supervisor/target/openai-moodle-sidecar-supervisor.jar");

    @TempDir
    Path dir;

    private SidecarUnderTest sidecar;
    private final List<AutoCloseable> fakes = new ArrayList<>();

    @BeforeEach
    void sidecar() {
        sidecar = new SidecarUnderTest(dir);
    }

    @AfterEach
    void stopFakes() throws Exception {
        for (AutoCloseable fake : fakes) {
            fake.close();
        }
        // This JVM must not be among the processes the sidecar's close() kills.
        Files.deleteIfExists(sidecar.runDir().resolve("supervisor.pid"));
        sidecar.close();
    }

    /** Both ways of running {@code args}: the launcher (hot path) and picocli alone. */
    private record Both(ProcessRun.Finished hot, ProcessRun.Finished picocli) {
        void assertSame() {
            assertEquals(picocli.exitCode(), hot.exitCode(), this::toString);
            assertEquals(picocli.stdout(), hot.stdout(), this::toString);
            assertEquals(picocli.stderr(), hot.stderr(), this::toString);
        }

        @Override
        public String toString() {
            return "hot path: " + hot + "\npicocli: " + picocli;
        }
    }

    private Both run(String... args) throws IOException, InterruptedException {
        ProcessRun.Finished hot = sidecar.sidecarctl(args);
        List<String> picocli = new ArrayList<>(List.of(Checkout.java(), "-cp", SUPERVISOR_JAR.toString(),
                "org.openaimoodle.sidecar.supervisor.cli.SidecarctlCommand"));
        picocli.addAll(List.of(args));
        return new Both(hot, sidecar.command(picocli.toArray(String[]::new)));
    }

    /** This JVM as the recorded supervisor (alive, with its own start time), answering {@code status} with {@code status}. */
    private void supervisorAnswering(Map<String, Object> status) throws IOException {
        RunDirectory runDirectory = recordThisJvmAsSupervisor();
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("ok", true);
        reply.putAll(status);
        fakes.add(ControlServer.open(runDirectory.controlSocket(), command -> reply));
    }

    private RunDirectory recordThisJvmAsSupervisor() throws IOException {
        RunDirectory runDirectory = RunDirectory.resolve(Optional.of(sidecar.runDir()), Map.of()).prepare();
        runDirectory.recordProcess(ProcessRole.SUPERVISOR, ProcessHandle.current());
        return runDirectory;
    }

    /** What a supervisor with a healthy worker answers (the fields of {@code status --json}). */
    private static Map<String, Object> running() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("state", "RUNNING");
        status.put("supervisor_pid", ProcessHandle.current().pid());
        status.put("worker_pid", 4242L);
        status.put("worker_id", WORKER_ID);
        status.put("restarts", 2);
        status.put("uptime_s", 3723L);
        status.put("health_ok", true);
        status.put("health_ms", 12L);
        status.put("port_taken", false);
        status.put("worker_rss_kb", 62_464L);
        Map<String, Object> lastExit = new LinkedHashMap<>();
        lastExit.put("code", null);
        lastExit.put("signal", 9);
        lastExit.put("reason", "crashed");
        lastExit.put("seconds_ago", 42L);
        status.put("last_exit", lastExit);
        status.put("log_file", "/var/log/openai-sidecar.log");
        status.put("message", "");
        return status;
    }

    /** {@code /health} on the sidecar's port: {@code code}, with the worker id header when {@code workerId} is not null. */
    private void health(int code, String workerId) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", sidecar.port()), 0);
        byte[] body = "{\"status\":\"healthy\",\"service\":\"openai-moodle-sidecar\"}".getBytes(StandardCharsets.UTF_8);
        server.createContext("/health", exchange -> {
            if (workerId != null) {
                exchange.getResponseHeaders().add("X-Sidecar-Worker-Id", workerId);
            }
            exchange.sendResponseHeaders(code, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        fakes.add(() -> server.stop(0));
    }

    @Test
    void statusOfARunningWorkerIsPicocliSAnswerWithExit0() throws Exception {
        supervisorAnswering(running());
        Both text = run("status");
        text.assertSame();
        assertEquals(0, text.hot().exitCode());
        assertEquals("openai-moodle-sidecar RUNNING pid 4242, uptime 1:02:03, restarts 2, health ok 12 ms, rss 61 MB, "
                + "last exit signal 9 (crashed) 0:00:42 ago\n", text.hot().stdout());

        Both json = run("status", "--json");
        json.assertSame();
        assertTrue(json.hot().stdout().startsWith("{\"state\":\"RUNNING\",\"supervisor_pid\":"), json.toString());
    }

    @Test
    void statusOfAWorkerInBackoffIsPicocliSAnswerWithExit3() throws Exception {
        Map<String, Object> status = running();
        status.put("state", "BACKOFF");
        status.put("health_ok", false);
        status.put("message", "restarting in 2.0 s");
        supervisorAnswering(status);
        for (String[] args : List.of(new String[] {"status"}, new String[] {"status", "--json"})) {
            Both both = run(args);
            both.assertSame();
            assertEquals(3, both.hot().exitCode(), both.toString());
        }
    }

    @Test
    void statusWithNoSupervisorIsPicocliSAnswerWithExit3() throws Exception {
        for (String[] args : List.of(new String[] {"status"}, new String[] {"status", "--json"})) {
            Both both = run(args);
            both.assertSame();
            assertEquals(3, both.hot().exitCode(), both.toString());
        }
        assertTrue(run("status").hot().stdout().startsWith("openai-moodle-sidecar STOPPED"));
    }

    @Test
    void statusOfASupervisorWithoutItsSocketIsPicocliSAnswerWithExit4() throws Exception {
        recordThisJvmAsSupervisor();
        for (String[] args : List.of(new String[] {"status"}, new String[] {"status", "--json"})) {
            Both both = run(args);
            both.assertSame();
            assertEquals(4, both.hot().exitCode(), both.toString());
        }
    }

    @Test
    void statusOfASupervisorThatNeverAnswersIsPicocliSAnswerWithExit4() throws Exception {
        RunDirectory runDirectory = recordThisJvmAsSupervisor();
        // Bound and listening, never accepting: the connection is made, the answer never comes.
        ServerSocketChannel deaf = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        deaf.bind(UnixDomainSocketAddress.of(runDirectory.controlSocket()));
        fakes.add(deaf);
        Both both = run("status");
        both.assertSame();
        assertEquals(4, both.hot().exitCode(), both.toString());
        assertTrue(both.hot().stdout().contains("does not answer"), both.toString());
    }

    /**
     * The hot commands run no service lookup: each one scans every jar of the class path, a noticeable part of a
     * command that lives ~100 ms (the NIO provider, the locale data behind a Formatter, the logger that System.exit
     * asks). Without an AOT cache, which loads its classes whether they are used or not, the class log shows it.
     */
    @Test
    void hotCommandsRunNoServiceLookup() throws Exception {
        supervisorAnswering(running());
        health(200, WORKER_ID);
        sidecar.with("SIDECAR_AOT_CACHE", "off");
        List<List<String>> commandLines = List.of(List.of("status"), List.of("status", "--json"),
                List.of("check", "--no-repair"));
        for (int i = 0; i < commandLines.size(); i++) {
            Path log = dir.resolve("classes-" + i + ".log");
            sidecar.with("SIDECAR_JAVA_OPTS", "-Xlog:class+load=info:file=" + log);
            ProcessRun.Finished run = sidecar.sidecarctl(commandLines.get(i).toArray(String[]::new));
            assertEquals(0, run.exitCode(), run.toString());
            String classes = Files.readString(log);
            assertTrue(classes.contains(" org.openaimoodle.sidecar.supervisor.cli.HotCommands "), commandLines.get(i)
                    + ": not the hot path, or no class log");
            assertFalse(classes.contains("java.util.ServiceLoader"), commandLines.get(i) + " ran a service lookup");
        }
    }

    @Test
    void checkNoRepairOfAHealthyWorkerIsPicocliSAnswerWithExit0() throws Exception {
        supervisorAnswering(running());
        health(200, WORKER_ID);
        Both both = run("check", "--no-repair");
        assertEquals(0, both.hot().exitCode(), both.toString());
        // The probe's latency is measured by each run anew.
        String latency = "\\(\\d+ ms\\)";
        assertEquals(both.picocli().stdout().replaceAll(latency, "(N ms)"), both.hot().stdout().replaceAll(latency, "(N ms)"));
        assertEquals(both.picocli().stderr(), both.hot().stderr());
        assertTrue(both.hot().stdout().matches("OK - openai-moodle-sidecar healthy at http://127\\.0\\.0\\.1:"
                + sidecar.port() + "/health \\(\\d+ ms\\)\n"), both.toString());
    }

    @Test
    void checkNoRepairOfAnUnhealthyWorkerIsPicocliSAnswerWithExit1() throws Exception {
        supervisorAnswering(running());
        health(503, WORKER_ID);
        Both failing = run("check", "--no-repair");
        failing.assertSame();
        assertEquals(1, failing.hot().exitCode(), failing.toString());
        assertTrue(failing.hot().stdout().startsWith("CRITICAL - "), failing.toString());
    }

    @Test
    void checkNoRepairOfAPortTakenByAnotherProcessIsPicocliSAnswerWithExit1() throws Exception {
        supervisorAnswering(running());
        health(200, null);
        Both taken = run("check", "--no-repair");
        taken.assertSame();
        assertEquals(1, taken.hot().exitCode(), taken.toString());
        assertTrue(taken.hot().stdout().startsWith("CRITICAL - port 127.0.0.1:" + sidecar.port() + " is taken"),
                taken.toString());
    }

    @Test
    void checkNoRepairWithNothingRunningIsPicocliSAnswerWithExit1() throws Exception {
        Both nothing = run("check", "--no-repair");
        nothing.assertSame();
        assertEquals(1, nothing.hot().exitCode(), nothing.toString());
        assertTrue(nothing.hot().stdout().startsWith("CRITICAL - ") && nothing.hot().stdout().contains(
                "supervisor not running"), nothing.toString());
    }

    @Test
    void configFileAndConfigErrorsAreTakenAsPicocliTakesThem() throws Exception {
        supervisorAnswering(running());
        // A setting the environment does not override (it sets the port, run dir and log file).
        Path config = Files.writeString(dir.resolve("sidecar.yaml"), "SIDECAR_HEALTH_TIMEOUT: soon\n");
        for (String[] args : List.of(new String[] {"--config", config.toString(), "status"},
                new String[] {"status", "--json", "--config=" + config}, new String[] {"check", "--config", config
                        + ".missing", "--no-repair"})) {
            Both both = run(args);
            both.assertSame();
            assertEquals(78, both.hot().exitCode(), both.toString());
            assertTrue(both.hot().stderr().startsWith("sidecarctl: configuration error: "), both.toString());
        }
        // run (the container's entrypoint) too: a configuration error ends it before anything starts.
        Both runConfig = run("--config", config + ".missing", "run");
        runConfig.assertSame();
        assertEquals(78, runConfig.hot().exitCode(), runConfig.toString());
        assertTrue(runConfig.hot().stderr().startsWith("sidecarctl: configuration error: "), runConfig.toString());
        sidecar.with("SIDECAR_PORT", "99999");
        for (String command : List.of("status", "run")) {
            Both environment = run(command);
            environment.assertSame();
            assertEquals(78, environment.hot().exitCode(), environment.toString());
        }
    }

    @Test
    void helpAndMistakesStillGetPicocliSAnswers() throws Exception {
        Both help = run("status", "--help");
        help.assertSame();
        assertEquals(0, help.hot().exitCode());
        assertTrue(help.hot().stdout().startsWith("Usage: sidecarctl status"), help.toString());

        Both typo = run("check", "--no-repiar");
        typo.assertSame();
        assertEquals(2, typo.hot().exitCode());
        assertTrue(typo.hot().stderr().contains("Unknown option: '--no-repiar'"), typo.toString());

        Both twice = run("status", "--json", "--json");
        twice.assertSame();
        assertEquals(2, twice.hot().exitCode(), twice.toString());
    }
}
