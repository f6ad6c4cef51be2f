package org.openaimoodle.sidecar.supervisor.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.supervisor.control.ControlClient;
import org.openaimoodle.sidecar.supervisor.rundir.ProcessRole;
import org.openaimoodle.sidecar.supervisor.rundir.RunDirectory;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;
import org.openaimoodle.sidecar.testkit.TestKeys;

/** What an administrator sees from each sidecarctl command, with real supervisor and worker processes. */
class SidecarctlIT {
    private static final Duration FIRST_HEALTHY = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<SidecarUnderTest> sidecars = new ArrayList<>();
    private final List<Process> strays = new ArrayList<>();

    @AfterEach
    void killEverything() {
        sidecars.forEach(SidecarUnderTest::close);
        strays.forEach(Process::destroyForcibly);
    }

    private SidecarUnderTest sidecar(String name) throws IOException {
        Path home = Files.createDirectories(dir.resolve(name));
        SidecarUnderTest sidecar = new SidecarUnderTest(home).withFakeKey(TestKeys.UNUSED_BASE_URL);
        sidecars.add(sidecar);
        return sidecar;
    }

    private static long awaitHealthyWorker(SidecarUnderTest sidecar) {
        return await().atMost(FIRST_HEALTHY).pollInterval(Duration.ofMillis(100))
                .until(sidecar::healthyWorkerPid, Optional::isPresent).get();
    }

    /** Polls the supervisor's control socket directly: a sidecarctl JVM per poll would slow every test down. */
    private static void awaitState(SidecarUnderTest sidecar, String state) {
        ControlClient control = new ControlClient(sidecar.runDir().resolve("control.sock"), Duration.ofSeconds(2));
        await().atMost(FIRST_HEALTHY).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> state.equals(control.status().stateName()));
    }

    @Test
    void secondRunIsRefusedWithExit1NamingTheRunningPid() throws Exception {
        SidecarUnderTest sidecar = sidecar("a");
        sidecar.runInForeground();
        awaitHealthyWorker(sidecar);
        long supervisor = sidecar.supervisor().orElseThrow().pid();
        ProcessRun.Finished second = sidecar.sidecarctl("run");
        assertEquals(1, second.exitCode(), second.toString());
        assertTrue(second.stderr().contains("already running (pid " + supervisor + ""), second.toString());
    }

    @Test
    void statusExitCodeTellsEveryState() throws Exception {
        SidecarUnderTest running = sidecar("running");
        ProcessRun.Finished none = running.sidecarctl("status");
        assertEquals(3, none.exitCode(), none.toString());
        assertTrue(none.stdout().startsWith("openai-moodle-sidecar STOPPED"), none.toString());
        assertTrue(running.sidecarctl("status", "--json").stdout().contains("\"state\":\"STOPPED\""));

        running.runInForeground();
        long worker = awaitHealthyWorker(running);
        awaitState(running, "RUNNING");
        ProcessRun.Finished ok = running.sidecarctl("status");
        assertEquals(0, ok.exitCode(), ok.toString());
        assertTrue(ok.stdout().matches("(?s)openai-moodle-sidecar RUNNING pid " + worker
                + ", uptime \\d+:\\d\\d:\\d\\d, restarts 0, health ok \\d+ ms, rss \\d+ MB\\s*"), ok.stdout());
        String json = running.sidecarctl("status", "--json").stdout();
        for (String field : List.of("\"state\":\"RUNNING\"", "\"supervisor_pid\":", "\"worker_pid\":" + worker,
                "\"restarts\":0", "\"uptime_s\":")) {
            assertTrue(json.contains(field), field + " in " + json);
        }

        // Unreachable: the supervisor exists but cannot answer.
        long supervisor = running.supervisor().orElseThrow().pid();
        SidecarUnderTest.signal("STOP", supervisor);
        try {
            ProcessRun.Finished deaf = running.sidecarctl("status");
            assertEquals(4, deaf.exitCode(), deaf.toString());
        } finally {
            SidecarUnderTest.signal("CONT", supervisor);
        }

        SidecarUnderTest starting = sidecar("starting").with("SIDECAR_WORKER_COMMAND", "sleep 600");
        starting.runInForeground();
        awaitState(starting, "STARTING");
        assertEquals(3, starting.sidecarctl("status").exitCode());

        SidecarUnderTest backoff = sidecar("backoff").with("SIDECAR_WORKER_COMMAND", "false")
                .with("SIDECAR_BACKOFF_INITIAL", "60").with("SIDECAR_BACKOFF_MAX", "60");
        backoff.runInForeground();
        awaitState(backoff, "BACKOFF");
        ProcessRun.Finished inBackoff = backoff.sidecarctl("status");
        assertEquals(3, inBackoff.exitCode());
        assertTrue(inBackoff.stdout().contains("last exit code 1 (crashed)"), inBackoff.toString());

        Path stubborn = dir.resolve("stubborn-worker.sh");
        Files.writeString(stubborn, "#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 1; done\n");
        Files.setPosixFilePermissions(stubborn, PosixFilePermissions.fromString("rwx------"));
        SidecarUnderTest stopping = sidecar("stopping").with("SIDECAR_WORKER_COMMAND", stubborn.toString())
                .with("SIDECAR_STOP_TIMEOUT", "60");
        stopping.runInForeground();
        awaitState(stopping, "STARTING");
        stopping.sidecarctl("restart", "--wait", "0.1");
        awaitState(stopping, "STOPPING");
        assertEquals(3, stopping.sidecarctl("status").exitCode());
    }

    @Test
    void restartGivesANewHealthyWorker() throws Exception {
        SidecarUnderTest sidecar = sidecar("a");
        sidecar.runInForeground();
        long first = awaitHealthyWorker(sidecar);
        ProcessRun.Finished restart = sidecar.sidecarctl("restart");
        assertEquals(0, restart.exitCode(), restart.toString());
        long second = sidecar.healthyWorkerPid().orElseThrow();
        assertTrue(second != first, "new pid expected, still " + first);
        assertTrue(restart.stdout().contains("RUNNING pid " + second), restart.toString());
        // The old worker hands over once the new one is healthy, then exits by itself after its drain.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> ProcessHandle.of(first).filter(ProcessHandle::isAlive).isEmpty());
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> sidecar
                .sidecarctl("status", "--json").stdout().contains("\"code\":0,\"signal\":null,\"reason\":\"requested\""));
    }

    @Test
    void checkRepairsAMissingSupervisorWithExit1ThenReportsHealthyWithExit0() throws Exception {
        SidecarUnderTest sidecar = sidecar("a");
        ProcessRun.Finished critical = sidecar.sidecarctl("check", "--no-repair");
        assertEquals(1, critical.exitCode(), critical.toString());
        assertTrue(critical.stdout().startsWith("CRITICAL - "), critical.toString());
        assertTrue(sidecar.supervisor().isEmpty(), "--no-repair changes nothing");

        ProcessRun.Finished repaired = sidecar.sidecarctl("check");
        assertEquals(1, repaired.exitCode(), repaired.toString());
        assertTrue(repaired.stdout().startsWith("REPAIRED - "), repaired.toString());
        assertTrue(sidecar.healthy());

        ProcessRun.Finished ok = sidecar.sidecarctl("check");
        assertEquals(0, ok.exitCode(), ok.toString());
        assertTrue(ok.stdout().startsWith("OK - "), ok.toString());
    }

    @Test
    void reopenLogsAfterRenameKeepsOldLinesInTheOldFileAndNewLinesInTheNewOne() throws Exception {
        SidecarUnderTest sidecar = sidecar("a");
        sidecar.runInForeground();
        awaitHealthyWorker(sidecar);
        // The worker answers /health a moment before the supervisor's own probe logs STARTING -> RUNNING.
        awaitState(sidecar, "RUNNING");
        Path rotated = sidecar.logFile().resolveSibling("openai-sidecar.log.1");
        Files.move(sidecar.logFile(), rotated);
        ProcessRun.Finished reopen = sidecar.sidecarctl("reopen-logs");
        assertEquals(0, reopen.exitCode(), reopen.toString());
        sidecar.sidecarctl("restart");

        String old = Files.readString(rotated);
        String fresh = sidecar.log();
        assertTrue(old.contains("STARTING -> RUNNING"), old);
        assertFalse(old.contains("log file reopened"), old);
        assertFalse(old.contains("restart requested"), old);
        assertTrue(fresh.contains("log file reopened"), fresh);
        assertTrue(fresh.contains("restart requested"), fresh);
        assertFalse(fresh.contains("STOPPED -> STARTING"), fresh);
    }

    @Test
    void startDetachesShowsProgressAndStopEndsEverything() throws Exception {
        SidecarUnderTest sidecar = sidecar("a");
        ProcessRun.Finished start = sidecar.sidecarctl("start", "--wait", "60");
        assertEquals(0, start.exitCode(), start.toString());
        assertTrue(start.stdout().contains("supervisor starting"), start.toString());
        assertTrue(start.stdout().contains("RUNNING pid"), start.toString());
        ProcessHandle supervisor = sidecar.supervisor().orElseThrow(); // outlived the start command
        ProcessHandle worker = sidecar.worker().orElseThrow();
        assertTrue(sidecar.healthy());

        ProcessRun.Finished again = sidecar.sidecarctl("start");
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.stdout().contains("already running (pid " + supervisor.pid() + ")"), again.toString());

        ProcessRun.Finished stop = sidecar.sidecarctl("stop");
        assertEquals(0, stop.exitCode(), stop.toString());
        assertFalse(supervisor.isAlive());
        assertFalse(worker.isAlive());
        assertFalse(sidecar.healthy());

        ProcessRun.Finished stopAgain = sidecar.sidecarctl("stop");
        assertEquals(0, stopAgain.exitCode(), stopAgain.toString());
        assertEquals(0, sidecar.sidecarctl("reopen-logs").exitCode(), "reopen-logs with nothing running");
        ProcessRun.Finished logs = sidecar.sidecarctl("logs", "-n", "2");
        assertEquals(0, logs.exitCode(), logs.toString());
        assertEquals(2, logs.stdout().lines().count(), logs.toString());
        assertTrue(logs.stdout().contains("supervisor exiting with code 0"), logs.toString());
    }

    @Test
    void staleWorkerOfADeadSupervisorIsStoppedAtStart() throws Exception {
        SidecarUnderTest sidecar = sidecar("a");
        Process stale = new ProcessBuilder("sleep", "600").start();
        strays.add(stale);
        RunDirectory.resolve(Optional.of(sidecar.runDir()), Map.of()).prepare()
                .recordProcess(ProcessRole.WORKER, stale.toHandle());
        sidecar.runInForeground();
        awaitHealthyWorker(sidecar);
        assertFalse(stale.isAlive());
        assertTrue(sidecar.log().contains("found worker pid " + stale.pid() + " left by a previous supervisor"),
                sidecar.log());
    }

    @Test
    void startWithThePortHeldByAnotherProcessSaysSoAndExits1InsteadOfReportingHealthy() throws Exception {
        SidecarUnderTest sidecar = sidecar("a");
        HttpServer foreign = sidecar.occupyPortWithForeignHealth();
        try {
            String taken = "port 127.0.0.1:" + sidecar.port() + " is taken by another process";
            ProcessRun.Finished start = sidecar.sidecarctl("start", "--wait", "30");
            assertEquals(1, start.exitCode(), start.toString());
            assertFalse(start.stdout().contains("RUNNING"), start.toString());
            assertTrue(start.stdout().contains(taken), start.toString());

            ProcessRun.Finished status = sidecar.sidecarctl("status");
            assertEquals(3, status.exitCode(), status.toString());
            assertTrue(status.stdout().contains(taken), status.toString());

            ProcessRun.Finished check = sidecar.sidecarctl("check", "--no-repair");
            assertEquals(1, check.exitCode(), check.toString());
            assertTrue(check.stdout().startsWith("CRITICAL - " + taken), check.toString());
            assertTrue(sidecar.log().contains(taken), sidecar.log());
        } finally {
            foreign.stop(0);
        }
    }

    @Test
    void checkWithAnswerFromAForeignProcessAndNoSupervisorIsCritical() throws Exception {
        SidecarUnderTest sidecar = sidecar("a");
        HttpServer foreign = sidecar.occupyPortWithForeignHealth();
        try {
            ProcessRun.Finished check = sidecar.sidecarctl("check", "--no-repair");
            assertEquals(1, check.exitCode(), check.toString());
            assertTrue(check.stdout().startsWith("CRITICAL - port 127.0.0.1:" + sidecar.port()
                    + " is taken by another process"), check.toString());
        } finally {
            foreign.stop(0);
        }
    }

    @Test
    void checkReplacesASupervisorThatDoesNotAnswerItsControlSocket() throws Exception {
        SidecarUnderTest sidecar = sidecar("a");
        assertEquals(0, sidecar.sidecarctl("start").exitCode());
        ProcessHandle stuck = sidecar.supervisor().orElseThrow();
        SidecarUnderTest.signal("STOP", stuck.pid());
        try {
            ProcessRun.Finished critical = sidecar.sidecarctl("check", "--no-repair");
            assertEquals(1, critical.exitCode(), critical.toString());
            assertTrue(critical.stdout().startsWith("CRITICAL - supervisor pid " + stuck.pid() + " does not answer"),
                    critical.toString());
            assertTrue(stuck.isAlive(), "--no-repair changes nothing");

            ProcessRun.Finished repaired = sidecar.sidecarctl("check");
            assertEquals(1, repaired.exitCode(), repaired.toString());
            assertTrue(repaired.stdout().startsWith("REPAIRED - supervisor pid " + stuck.pid()), repaired.toString());
            assertFalse(stuck.isAlive(), "the stuck supervisor was killed");
            long replacement = sidecar.supervisor().orElseThrow().pid();
            assertTrue(replacement != stuck.pid());
            assertEquals(0, sidecar.sidecarctl("check").exitCode());
        } finally {
            if (stuck.isAlive()) {
                SidecarUnderTest.signal("CONT", stuck.pid());
            }
        }
    }

    @Test
    void runDirectoryWritableByOthersIsRefusedWith78AndLeftAsItWas() throws Exception {
        SidecarUnderTest sidecar = sidecar("a");
        Files.createDirectories(sidecar.runDir());
        assertEquals(0, new ProcessBuilder("chmod", "1777", sidecar.runDir().toString()).start().waitFor());
        Process run = sidecar.runInForeground();
        assertTrue(run.waitFor(30, TimeUnit.SECONDS), "a supervisor started in a world-writable run dir");
        assertEquals(78, run.exitValue());
        String output = Files.readString(sidecar.dir().resolve("launch-1.out"));
        assertTrue(output.contains("SIDECAR_RUN_DIR") && output.contains("writable by group or others"), output);
        Process stat = new ProcessBuilder("stat", "-c", "%a", sidecar.runDir().toString()).start();
        assertEquals("1777", new String(stat.getInputStream().readAllBytes()).trim());
    }
}
