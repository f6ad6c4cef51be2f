package org.openaimoodle.sidecar.supervisor.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.supervisor.config.ConfigLoader;
import org.openaimoodle.sidecar.supervisor.supervision.SupervisorStateMachine.Action;

class SupervisorStateMachineTest {
    private long now = 1_000_000_000L;
    private final List<String> transitions = new ArrayList<>();
    private final SupervisorStateMachine machine = new SupervisorStateMachine(
            ConfigLoader.load(Map.of(), Map.of()), () -> now, transitions::add);

    private void advance(Duration duration) {
        now += duration.toNanos();
    }

    private void startAndBecomeHealthy() {
        assertEquals(Action.START_WORKER, machine.begin());
        assertEquals(Action.NONE, machine.healthProbed(true, "ok"));
    }

    @Test
    void workerIsRunningOnlyOnceHealthAnswers() {
        assertEquals(Action.START_WORKER, machine.begin());
        assertEquals(SupervisorState.STARTING, machine.state());
        assertEquals(Action.NONE, machine.healthProbed(false, "connection refused"));
        assertEquals(SupervisorState.STARTING, machine.state());
        machine.healthProbed(true, "ok");
        assertEquals(SupervisorState.RUNNING, machine.state());
    }

    @Test
    void crashedWorkerWaitsHalfASecondThenRestarts() {
        startAndBecomeHealthy();
        assertEquals(Action.NONE, machine.workerExited(137));
        assertEquals(SupervisorState.BACKOFF, machine.state());
        advance(Duration.ofMillis(499));
        assertEquals(Action.NONE, machine.tick());
        advance(Duration.ofMillis(1));
        assertEquals(Action.START_WORKER, machine.tick());
        assertEquals(SupervisorState.STARTING, machine.state());
        assertEquals(1, machine.restarts());
    }

    @Test
    void repeatedCrashesBackOffLongerAndNeverSpin() {
        machine.begin();
        Duration previous = Duration.ZERO;
        for (int crash = 0; crash < 12; crash++) {
            machine.workerExited(1);
            Duration delay = machine.backoffRemaining();
            assertTrue(delay.compareTo(previous) >= 0, "delay must not shrink: " + delay);
            assertTrue(delay.compareTo(Duration.ofMillis(500)) >= 0, "never spins: " + delay);
            assertTrue(delay.compareTo(Duration.ofSeconds(30)) <= 0, "capped: " + delay);
            assertEquals(Action.NONE, machine.tick());
            advance(delay);
            assertEquals(Action.START_WORKER, machine.tick(), "never gives up");
            previous = delay;
        }
        assertEquals(Duration.ofSeconds(30), previous);
    }

    @Test
    void workerHealthyForSixtySecondsResetsTheBackoff() {
        startAndBecomeHealthy();
        machine.workerExited(1);
        advance(Duration.ofMillis(500));
        machine.tick();
        machine.healthProbed(true, "ok");
        machine.workerExited(1);
        assertEquals(Duration.ofSeconds(1), machine.backoffRemaining());
        advance(Duration.ofSeconds(1));
        machine.tick();
        machine.healthProbed(true, "ok");
        advance(Duration.ofSeconds(60));
        assertEquals(Action.START_WORKER, machine.workerExited(1), "restarted at once after 10 s of health");
        machine.healthProbed(true, "ok");
        machine.workerExited(1);
        assertEquals(Duration.ofMillis(500), machine.backoffRemaining(), "the delays start again");
    }

    @Test
    void crashAfterTenSecondsOfHealthStartsTheNextWorkerAtOnce() {
        startAndBecomeHealthy();
        advance(RestartBackoff.IMMEDIATE_RESTART_AFTER);
        assertEquals(Action.START_WORKER, machine.workerExited(137));
        assertEquals(SupervisorState.STARTING, machine.state(), "no BACKOFF");
        assertEquals(1, machine.restarts());
        assertTrue(transitions.getLast().contains("restarting it at once"), transitions.getLast());
    }

    @Test
    void crashWithinTenSecondsOfHealthBacksOffHalfASecond() {
        startAndBecomeHealthy();
        advance(RestartBackoff.IMMEDIATE_RESTART_AFTER.minusMillis(1));
        assertEquals(Action.NONE, machine.workerExited(137));
        assertEquals(SupervisorState.BACKOFF, machine.state());
        assertEquals(Duration.ofMillis(500), machine.backoffRemaining());
    }

    @Test
    void threeCrashesInARowAfterAnImmediateRestartBackOffHalfASecondThenOneThenTwo() {
        startAndBecomeHealthy();
        advance(Duration.ofSeconds(30));
        assertEquals(Action.START_WORKER, machine.workerExited(137), "the first crash: at once");
        for (long millis : new long[] {500, 1000, 2000}) {
            machine.healthProbed(true, "ok");
            advance(Duration.ofSeconds(1));
            assertEquals(Action.NONE, machine.workerExited(137));
            assertEquals(Duration.ofMillis(millis), machine.backoffRemaining());
            advance(Duration.ofMillis(millis));
            assertEquals(Action.START_WORKER, machine.tick());
        }
        assertEquals(4, machine.restarts());
    }

    @Test
    void hungWorkerIsBackedOffEvenAfterLongHealth() {
        startAndBecomeHealthy();
        advance(Duration.ofSeconds(30));
        machine.healthProbed(false, "timeout");
        machine.healthProbed(false, "timeout");
        assertEquals(Action.KILL_WORKER, machine.healthProbed(false, "timeout"));
        assertEquals(Action.NONE, machine.workerExited(137));
        assertEquals(SupervisorState.BACKOFF, machine.state(), "only an unasked exit is restarted at once");
    }

    @Test
    void lastExitNamesItsReasonAndAge() {
        assertEquals(Optional.empty(), machine.lastExit());
        startAndBecomeHealthy();
        machine.workerExited(137);
        advance(Duration.ofSeconds(42));
        assertEquals(new WorkerExit(137, ExitReason.CRASHED, Duration.ofSeconds(42)), machine.lastExit().orElseThrow());
        assertEquals(9, machine.lastExit().orElseThrow().signal());

        machine.tick(); // backoff over: STARTING
        assertEquals(Action.NONE, machine.healthProbed(true, "ok"));
        machine.healthProbed(false, "timeout");
        machine.healthProbed(false, "timeout");
        machine.healthProbed(false, "timeout");
        machine.workerExited(137);
        assertEquals(ExitReason.HUNG, machine.lastExit().orElseThrow().reason());

        advance(Duration.ofSeconds(1));
        machine.tick(); // STARTING, never healthy
        advance(Duration.ofSeconds(30));
        assertEquals(Action.KILL_WORKER, machine.tick());
        machine.workerExited(137);
        assertEquals(ExitReason.START_TIMEOUT, machine.lastExit().orElseThrow().reason());

        advance(Duration.ofSeconds(2));
        machine.tick();
        machine.healthProbed(true, "ok");
        machine.restartRequested();
        machine.workerExited(143);
        assertEquals(new WorkerExit(143, ExitReason.REQUESTED, Duration.ZERO), machine.lastExit().orElseThrow());
    }

    @Test
    void hungWorkerIsKilledAfterThreeFailedProbesInARow() {
        startAndBecomeHealthy();
        assertEquals(Action.NONE, machine.healthProbed(false, "timeout"));
        assertEquals(Action.NONE, machine.healthProbed(false, "timeout"));
        assertEquals(Action.KILL_WORKER, machine.healthProbed(false, "timeout"));
        assertEquals(SupervisorState.STOPPING, machine.state());
        assertEquals(Action.NONE, machine.workerExited(137));
        assertEquals(SupervisorState.BACKOFF, machine.state());
    }

    @Test
    void oneGoodProbeForgivesEarlierFailures() {
        startAndBecomeHealthy();
        machine.healthProbed(false, "timeout");
        machine.healthProbed(false, "timeout");
        machine.healthProbed(true, "ok");
        assertEquals(Action.NONE, machine.healthProbed(false, "timeout"));
        assertEquals(Action.NONE, machine.healthProbed(false, "timeout"));
        assertEquals(SupervisorState.RUNNING, machine.state());
    }

    @Test
    void workerNotHealthyWithinStartTimeoutIsKilled() {
        machine.begin();
        advance(Duration.ofSeconds(29));
        assertEquals(Action.NONE, machine.tick());
        advance(Duration.ofSeconds(1));
        assertEquals(Action.KILL_WORKER, machine.tick());
        assertEquals(SupervisorState.STOPPING, machine.state());
    }

    @Test
    void configurationErrorExitStopsTheSupervisorWith78InsteadOfRestarting() {
        machine.begin();
        assertEquals(Action.EXIT, machine.workerExited(78));
        assertEquals(SupervisorState.STOPPED, machine.state());
        assertEquals(78, machine.exitCode());
        advance(Duration.ofMinutes(5));
        assertEquals(Action.NONE, machine.tick());
    }

    @Test
    void stopSendsSigtermThenSigkillAfterTheStopTimeoutOfRequestTimeoutPlusFiveSeconds() {
        startAndBecomeHealthy();
        assertEquals(Action.TERMINATE_WORKER, machine.stopRequested());
        advance(Duration.ofMillis(29_999));
        assertEquals(Action.NONE, machine.tick());
        advance(Duration.ofMillis(1));
        assertEquals(Action.KILL_WORKER, machine.tick());
        assertEquals(Action.NONE, machine.tick(), "SIGKILL is sent once");
        assertEquals(Action.EXIT, machine.workerExited(137));
        assertEquals(0, machine.exitCode());
        assertEquals(SupervisorState.STOPPED, machine.state());
    }

    @Test
    void stopDuringBackoffExitsAtOnce() {
        startAndBecomeHealthy();
        machine.workerExited(1);
        assertEquals(Action.EXIT, machine.stopRequested());
        assertEquals(0, machine.exitCode());
        advance(Duration.ofSeconds(1));
        assertEquals(Action.NONE, machine.tick(), "no worker is started after a stop");
    }

    @Test
    void requestedRestartReplacesTheWorkerWithoutBackoff() {
        startAndBecomeHealthy();
        assertEquals(Action.TERMINATE_WORKER, machine.restartRequested());
        assertEquals(Action.START_WORKER, machine.workerExited(0));
        assertEquals(SupervisorState.STARTING, machine.state());
        assertEquals(1, machine.restarts());
    }

    @Test
    void requestedRestartDuringBackoffStartsAtOnce() {
        startAndBecomeHealthy();
        machine.workerExited(1);
        assertEquals(Action.START_WORKER, machine.restartRequested());
    }

    @Test
    void everyTransitionIsDescribedForTheLog() {
        startAndBecomeHealthy();
        machine.workerExited(137);
        assertEquals(List.of("STOPPED -> STARTING: starting the worker", "STARTING -> RUNNING: worker healthy (ok)",
                "RUNNING -> BACKOFF: worker exited with code 137; next start in 0.5 s"), transitions);
    }
    @Test
    void stoppingCarriesItsReasonAndTheFirstSignalFollowsFromIt() {
        startAndBecomeHealthy();
        assertEquals(Action.TERMINATE_WORKER, machine.restartRequested());
        assertEquals(Optional.of(StopReason.RESTART), machine.stopReason());
        machine.workerExited(0);
        machine.healthProbed(true, "ok");
        assertEquals(Action.TERMINATE_WORKER, machine.stopRequested());
        assertEquals(Optional.of(StopReason.SHUTDOWN), machine.stopReason());

        SupervisorStateMachine hung = new SupervisorStateMachine(ConfigLoader.load(Map.of(), Map.of()), () -> now,
                line -> { });
        hung.begin();
        hung.healthProbed(true, "ok");
        hung.healthProbed(false, "timeout");
        hung.healthProbed(false, "timeout");
        assertEquals(Action.KILL_WORKER, hung.healthProbed(false, "timeout"));
        assertEquals(Optional.of(StopReason.HUNG), hung.stopReason());
        hung.workerExited(137);
        assertEquals(Optional.empty(), hung.stopReason(), "only while STOPPING");
        advance(Duration.ofMillis(500));
        hung.tick();
        advance(Duration.ofSeconds(30));
        assertEquals(Action.KILL_WORKER, hung.tick());
        assertEquals(Optional.of(StopReason.START_TIMEOUT), hung.stopReason());
    }

    @Test
    void restartRequestedWhileAHungWorkerIsKilledStartsTheNextOneWithoutBackoffAndKillsOnlyOnce() {
        startAndBecomeHealthy();
        for (int i = 0; i < 3; i++) {
            machine.healthProbed(false, "timeout");
        }
        assertEquals(Action.NONE, machine.restartRequested());
        assertEquals(Optional.of(StopReason.RESTART), machine.stopReason());
        advance(Duration.ofMinutes(1));
        assertEquals(Action.NONE, machine.tick(), "SIGKILL was sent already");
        assertEquals(Action.START_WORKER, machine.workerExited(137));
    }

    @Test
    void stopRequestedDuringARestartEndsTheSupervisorInsteadOfStartingANewWorker() {
        startAndBecomeHealthy();
        machine.restartRequested();
        assertEquals(Action.NONE, machine.stopRequested());
        assertEquals(Action.NONE, machine.restartRequested(), "a restart does not undo a stop");
        assertEquals(Action.EXIT, machine.workerExited(0));
        assertEquals(0, machine.exitCode());
    }

    @Test
    void workerCommandThatCannotBeLaunchedStopsTheSupervisorWith78() {
        assertEquals(Action.START_WORKER, machine.begin());
        assertEquals(Action.EXIT, machine.launchFailed("[/nowhere/worker]: No such file or directory"));
        assertEquals(SupervisorState.STOPPED, machine.state());
        assertEquals(78, machine.exitCode());
        assertTrue(transitions.getLast().contains("cannot run the worker command: [/nowhere/worker]"),
                transitions.getLast());
        assertTrue(transitions.getLast().contains("check SIDECAR_WORKER_COMMAND"), transitions.getLast());
    }

    @Test
    void probeCadenceFollowsTheState() {
        assertEquals(Optional.empty(), machine.probeInterval());
        machine.begin();
        assertEquals(Optional.of(Duration.ofMillis(20)), machine.probeInterval());
        machine.healthProbed(true, "ok");
        assertEquals(Optional.of(Duration.ofSeconds(2)), machine.probeInterval());
        machine.workerExited(1);
        assertEquals(Optional.empty(), machine.probeInterval(), "nothing to probe in BACKOFF");
        machine.restartRequested();
        machine.stopRequested();
        assertEquals(Optional.empty(), machine.probeInterval(), "nor while STOPPING");
    }
}
