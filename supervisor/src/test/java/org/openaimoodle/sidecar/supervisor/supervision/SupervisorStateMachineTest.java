package org.openaimoodle.sidecar.supervisor.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
        machine.workerExited(1);
        assertEquals(Duration.ofMillis(500), machine.backoffRemaining());
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
}
