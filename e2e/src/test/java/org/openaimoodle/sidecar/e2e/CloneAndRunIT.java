package org.openaimoodle.sidecar.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.Ports;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.ProcessRun;

/**
 * The README's run command on a fresh clone: {@code git clone} of this checkout's HEAD into a path
 * with a space, then {@code OPENAI_API_KEY=… shell/sidecarctl run} there, which must build the jars
 * first (Maven offline, from ~/.m2), run the supervisor up to a healthy worker that answers
 * {@code /ai}, and stop on SIGTERM leaving nothing running.
 */
class CloneAndRunIT {

    private static final Duration FIRST_BUILD_AND_START = Duration.ofMinutes(6);
    private static final Pattern WORKER_PID = Pattern.compile("\"worker_pid\"\\s*:\\s*(\\d+)");

    @TempDir
    Path dir;

    private Process run;
    private final List<Long> pids = new ArrayList<>();

    @AfterEach
    void killWhatIsLeft() {
        if (run != null) {
            run.descendants().forEach(ProcessHandle::destroyForcibly);
            run.destroyForcibly();
        }
        pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void sidecarctlRunInAFreshCloneBuildsThenServesAndStopsCleanly() throws Exception {
        assumeTrue(Files.exists(Checkout.ROOT.resolve(".git")),
                () -> Checkout.ROOT + " is not a git checkout: nothing to clone");
        Path clone = dir.resolve("with space").resolve("openai-moodle-sidecar");
        ProcessRun.Finished cloned = ProcessRun.run(List.of("git", "clone", "--quiet", Checkout.ROOT.toString(), clone.toString()),
                ProcessRun.baseEnvironment(), dir, null, Duration.ofMinutes(2));
        assertEquals(0, cloned.exitCode(), cloned::toString);
        assertEquals(head(Checkout.ROOT), head(clone), "the clone is not at this checkout's HEAD");

        try (FakeUpstreamProcess upstream = FakeUpstreamProcess.start()) {
            int port = Ports.free();
            Map<String, String> env = environment(upstream, port);
            Path output = dir.resolve("sidecarctl-run.out");
            ProcessBuilder builder = new ProcessBuilder(clone.resolve("shell/sidecarctl").toString(), "run")
                    .directory(clone.toFile()).redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            builder.environment().clear();
            builder.environment().putAll(env);
            run = builder.start();

            await("a healthy /health from the clone (first build included)").atMost(FIRST_BUILD_AND_START)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> SidecarHttp.healthy(port) || !run.isAlive());
            String built = Files.readString(output);
            assertTrue(run.isAlive(), () -> "sidecarctl run ended:\n" + built);
            HttpResponse<String> reply = SidecarHttp.ai(port, "hello", "clone");
            rememberPids(clone, env);

            run.destroy();  // SIGTERM to the pid this test started: the supervisor's JVM (sidecarctl execs it)
            boolean ended = run.waitFor(40, TimeUnit.SECONDS);
            String all = Files.readString(output);
            assertAll(
                    () -> assertTrue(built.contains("sidecarctl: no jars in " + clone + " yet: building"), built),
                    () -> assertTrue(built.contains("BUILD SUCCESS"), "Maven's own output is missing:\n" + built),
                    () -> assertEquals(200, reply.statusCode(), reply::body),
                    () -> assertTrue(reply.body().contains("\"success\":true"), reply::body),
                    () -> assertTrue(ended, "sidecarctl run did not end within 40 s of SIGTERM:\n" + all),
                    () -> assertEquals(Optional.of(0), ended ? Optional.of(run.exitValue()) : Optional.empty(), all),
                    () -> assertEquals(List.of(), stillRunning(clone), "processes of the clone still running"));
        }
    }

    /**
     * PATH (with whatever `java` it has, 17 here), HOME (~/.m2), and JAVA_HOME only when this JDK
     * is not where the launchers look by themselves.
     */
    private Map<String, String> environment(FakeUpstreamProcess upstream, int port) throws IOException {
        Map<String, String> env = new HashMap<>(ProcessRun.baseEnvironment());
        if (env.get("JAVA_HOME").startsWith("/usr/lib/jvm/")) {
            env.remove("JAVA_HOME");
        }
        Path runDir = Files.createDirectory(dir.resolve("run dir"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        env.put("SIDECAR_RUN_DIR", runDir.toString());
        env.put("SIDECAR_LOG_FILE", dir.resolve("sidecar log").toString());
        env.put("SIDECAR_HOST", "127.0.0.1");
        env.put("SIDECAR_PORT", Integer.toString(port));
        env.put("OPENAI_API_KEY", TestKeys.API_KEY);
        env.put("OPENAI_BASE_URL", upstream.baseUrl());
        env.put("MAVEN_ARGS", "-o -B -ntp");  // the first build in the clone: dependencies from ~/.m2 only
        return env;
    }

    private void rememberPids(Path clone, Map<String, String> env) throws IOException, InterruptedException {
        pids.add(run.pid());
        ProcessRun.Finished status = ProcessRun.run(List.of(clone.resolve("shell/sidecarctl").toString(), "status", "--json"),
                env, clone, null, Duration.ofSeconds(60));
        Matcher worker = WORKER_PID.matcher(status.output());
        assertTrue(worker.find(), status::toString);
        pids.add(Long.parseLong(worker.group(1)));
    }

    /** The pids seen and every process whose command line names the clone. */
    private List<String> stillRunning(Path clone) throws IOException {
        List<String> left = new ArrayList<>();
        pids.forEach(pid -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive).ifPresent(p -> left.add(pid + " (started)")));
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline"))).replace('\0', ' ');
                    if (cmdline.contains(clone.toString())) {
                        left.add(proc.getFileName() + " " + cmdline);
                    }
                } catch (IOException gone) {
                    // exited while we looked
                }
            }
        }
        return left;
    }

    private static String head(Path repo) throws IOException, InterruptedException {
        ProcessRun.Finished head = ProcessRun.run(List.of("git", "-C", repo.toString(), "rev-parse", "HEAD"),
                ProcessRun.baseEnvironment(), repo, null, Duration.ofSeconds(30));
        assertEquals(0, head.exitCode(), head::toString);
        return head.output().strip();
    }
}
