package org.openaimoodle.sidecar.supervisor.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;
import org.openaimoodle.sidecar.testkit.TestKeys;

/** The supervisor keeps a real worker alive: crashes, hangs, its own death, signals, the key. */
class SupervisionIT {
    /** JVM start of supervisor and worker on a busy 2-core machine. */
    private static final Duration FIRST_HEALTHY = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private SidecarUnderTest sidecar;

    @BeforeEach
    void setUp() throws IOException {
        sidecar = new SidecarUnderTest(dir).withFakeKey(TestKeys.UNUSED_BASE_URL);
    }

    @AfterEach
    void killEverything() {
        sidecar.close();
    }

    private long runUntilHealthy() throws IOException {
        sidecar.runInForeground();
        return await().atMost(FIRST_HEALTHY).pollInterval(Duration.ofMillis(100))
                .until(sidecar::healthyWorkerPid, Optional::isPresent).get();
    }

    @Test
    void killedWorkerIsSeenAtOnceAndHealthyAgainWithANewPid() throws IOException, InterruptedException {
        long first = runUntilHealthy();
        long killedAt = System.nanoTime();
        ProcessHandle.of(first).orElseThrow().destroyForcibly();

        // Seen from the process exit, not at the next probe: the replacement is launched after the
        // 0.5 s backoff, long before a 2 s probe interval plus three failures.
        long replacement = await().atMost(Duration.ofMillis(2_000)).pollInterval(Duration.ofMillis(20))
                .until(() -> sidecar.worker().map(ProcessHandle::pid).filter(pid -> pid != first), Optional::isPresent)
                .get();
        // Healthy within 3 s on an idle machine; the bound leaves room for a JVM start on a busy one.
        await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(50))
                .until(() -> sidecar.healthyWorkerPid().filter(pid -> pid == replacement).isPresent());
        long tookMillis = (System.nanoTime() - killedAt) / 1_000_000;
        System.out.println("crash-to-healthy ms: " + tookMillis);
        assertTrue(sidecar.log().contains("worker exited with code 137"), sidecar.log());
        String json = sidecar.sidecarctl("status", "--json").stdout();
        assertTrue(json.contains("\"last_exit\":{\"code\":null,\"signal\":9,\"reason\":\"crashed\","), json);
        assertTrue(json.matches("(?s).*\"worker_rss_kb\":\\d+.*"), json);
    }

    @Test
    void hungWorkerIsReplacedWithinTwelveSecondsAndTheStoppedProcessIsGone() throws IOException, InterruptedException {
        long first = runUntilHealthy();
        ProcessHandle hung = ProcessHandle.of(first).orElseThrow();
        long stoppedAt = System.nanoTime();
        SidecarUnderTest.signal("STOP", first);

        await().atMost(Duration.ofSeconds(12)).pollInterval(Duration.ofMillis(100)).until(() -> !hung.isAlive()
                && sidecar.worker().map(ProcessHandle::pid).filter(pid -> pid != first).isPresent());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> sidecar.healthyWorkerPid().filter(pid -> pid != first).isPresent());
        System.out.println("hang-to-healthy ms: " + (System.nanoTime() - stoppedAt) / 1_000_000);
        assertTrue(sidecar.log().contains("health probes failed in a row"), sidecar.log());
    }

    @Test
    void killedSupervisorLeavesNoWorkerBehindWithinThreeSeconds() throws IOException {
        long worker = runUntilHealthy();
        ProcessHandle supervisor = sidecar.supervisor().orElseThrow();
        supervisor.destroyForcibly();
        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50))
                .until(() -> ProcessHandle.of(worker).filter(ProcessHandle::isAlive).isEmpty());
        assertFalse(sidecar.healthy(), "nothing may keep the port");
    }

    @Test
    void sigtermToRunStopsTheWorkerAndExitsZeroLeavingNoProcess() throws IOException, InterruptedException {
        Process run = sidecar.runInForeground();
        long worker = await().atMost(FIRST_HEALTHY).pollInterval(Duration.ofMillis(100))
                .until(sidecar::healthyWorkerPid, Optional::isPresent).get();
        run.destroy(); // SIGTERM
        assertTrue(run.waitFor(20, TimeUnit.SECONDS), "run did not stop");
        assertEquals(0, run.exitValue());
        assertTrue(ProcessHandle.of(worker).filter(ProcessHandle::isAlive).isEmpty(), "worker left behind");
        assertTrue(run.descendants().findAny().isEmpty());
        assertFalse(Files.exists(sidecar.runDir().resolve("control.sock")));
        assertTrue(sidecar.log().contains("STOPPING -> STOPPED"), sidecar.log());
    }

    @Test
    void theApiKeyIsNeverInTheLogNorOnTheWorkersCommandLine() throws IOException, InterruptedException {
        long worker = runUntilHealthy();
        String commandLine = Files.readString(Path.of("/proc/" + worker + "/cmdline"), StandardCharsets.UTF_8);
        assertFalse(commandLine.contains(TestKeys.API_KEY), commandLine);
        sidecar.sidecarctl("restart");
        String log = sidecar.log();
        assertTrue(log.contains("worker "), "the worker's own lines are in the log");
        assertFalse(log.contains(TestKeys.API_KEY), log);
        assertFalse(log.contains("FAKE1234567890"), log);
    }

    @Test
    void invalidSupervisorSettingExits78AtOnceNamingTheVariable() throws IOException, InterruptedException {
        ProcessRun.Finished result = sidecar.with("SIDECAR_HEALTH_INTERVAL", "often").sidecarctl("run");
        assertEquals(78, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("SIDECAR_HEALTH_INTERVAL"), result.toString());
    }

    @Test
    void workerConfigurationErrorStopsTheSupervisorWith78InsteadOfARestartLoop() throws IOException, InterruptedException {
        Process run = sidecar.with("MAX_TOKENS", "many").runInForeground();
        assertTrue(run.waitFor(40, TimeUnit.SECONDS), "the supervisor kept restarting a misconfigured worker");
        assertEquals(78, run.exitValue());
        String log = sidecar.log();
        assertTrue(log.contains("MAX_TOKENS"), log);
        assertEquals(1, log.split("worker started, pid", -1).length - 1, "started once: " + log);
    }

    @Test
    void deletedRunDirectoryIsRestoredSoTheOneSupervisorStaysControllable() throws IOException, InterruptedException {
        long worker = runUntilHealthy();
        ProcessHandle supervisor = sidecar.supervisor().orElseThrow();
        deleteRecursively(sidecar.runDir()); // what a tmp cleaner does to /tmp/openai-sidecar-<uid>
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.exists(sidecar.runDir().resolve("control.sock"))
                        && sidecar.supervisor().map(ProcessHandle::pid).equals(Optional.of(supervisor.pid())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sidecar.runDir())));
        ProcessRun.Finished status = sidecar.sidecarctl("status");
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.stdout().contains("RUNNING pid " + worker), status.toString());
        ProcessRun.Finished start = sidecar.sidecarctl("start");
        assertTrue(start.stdout().contains("already running (pid " + supervisor.pid() + ")"), start.toString());
        assertTrue(sidecar.log().contains("run directory " + sidecar.runDir() + " was deleted"), sidecar.log());
        assertEquals(0, sidecar.sidecarctl("stop").exitCode());
        assertFalse(supervisor.isAlive());
        assertTrue(ProcessHandle.of(worker).filter(ProcessHandle::isAlive).isEmpty(), "worker left behind");
    }

    @Test
    void workerCommandThatCannotBeLaunchedStopsTheSupervisorWith78() throws IOException, InterruptedException {
        Process run = sidecar.with("SIDECAR_WORKER_COMMAND", sidecar.dir().resolve("no-such-worker").toString()).runInForeground();
        assertTrue(run.waitFor(30, TimeUnit.SECONDS), "the supervisor went on without a worker");
        assertEquals(78, run.exitValue());
        assertTrue(sidecar.log().contains("cannot run the worker command"), sidecar.log());
    }

    private static void deleteRecursively(Path path) throws IOException {
        try (var paths = Files.walk(path)) {
            for (Path each : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(each);
            }
        }
    }
}
