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

/** Zero-downtime replacement and the memory guard, with a fake clock (the machine with SO_REUSEPORT). */
class SupervisorStateMachineReplacementTest {
    private static final long MB = 1L << 20;
    private long now = 1_000_000_000L;
    private final List<String> transitions = new ArrayList<>();
    private final SupervisorStateMachine machine = new SupervisorStateMachine(
            ConfigLoader.load(Map.of(), Map.of("SIDECAR_WORKER_MAX_RSS", "100m")), () -> now, transitions::add, true);

    private void advance(Duration duration) {
        now += duration.toNanos();
    }

    private void running() {
        assertEquals(Action.START_WORKER, machine.begin());
        assertEquals(Action.NONE, machine.healthProbed(true, "ok"));
        assertEquals(SupervisorState.RUNNING, machine.state());
    }

    @Test
    void restartStartsANewWorkerBesideTheOldOneAndPromotesItOnceHealthy() {
        running();
        advance(Duration.ofSeconds(5));
        assertEquals(Action.START_REPLACEMENT, machine.restartRequested());
        assertEquals(SupervisorState.REPLACING, machine.state());
        assertEquals(SupervisorState.RUNNING, machine.state().shown(), "status shows supervisord's name");
        assertEquals(Replacement.Outcome.PENDING, machine.replacement().orElseThrow().outcome());
        assertEquals(SupervisorStateMachine.STARTING_PROBE_INTERVAL, machine.probeInterval().orElseThrow());
        // Probes answered by the old worker or by nobody change nothing; the old worker keeps its uptime.
        assertEquals(Action.NONE, machine.healthProbed(false, "refused"));
        assertEquals(Action.NONE, machine.replacementProbed(false, "refused"));
        assertEquals(Duration.ofSeconds(5), machine.uptime());
        assertEquals(Action.NONE, machine.restartRequested(), "a second restart joins the one under way");
        advance(Duration.ofMillis(400));
        assertEquals(Action.PROMOTE_REPLACEMENT, machine.replacementProbed(true, "ok"));
        assertEquals(SupervisorState.RUNNING, machine.state());
        assertEquals(Replacement.Outcome.SUCCEEDED, machine.replacement().orElseThrow().outcome());
        assertEquals(1, machine.restarts());
        assertEquals(Duration.ZERO, machine.uptime(), "uptime is the new worker's");
        // The old worker exits after its drain: that is the last exit status shows, requested.
        advance(Duration.ofSeconds(2));
        machine.retiredExited(0, ExitReason.REQUESTED);
        assertEquals(new WorkerExit(0, ExitReason.REQUESTED, Duration.ZERO), machine.lastExit().orElseThrow());
    }

    @Test
    void aNewWorkerThatExitsLeavesTheOldOneServingAndTheReplacementFailed() {
        running();
        machine.restartRequested();
        assertEquals(Action.NONE, machine.replacementExited(78, ""));
        assertEquals(SupervisorState.RUNNING, machine.state());
        Replacement failed = machine.replacement().orElseThrow();
        assertEquals(Replacement.Outcome.FAILED, failed.outcome());
        assertTrue(failed.message().contains("code 78 (configuration error"), failed.message());
        assertEquals(0, machine.restarts());
        assertEquals(Action.NONE, machine.replacementExited(137, ""), "a late exit of a killed one is ignored");
        assertEquals(SupervisorState.RUNNING, machine.state());
    }

    @Test
    void aNewWorkerNotHealthyWithinTheStartTimeoutIsKilledAndTheOldOneServes() {
        running();
        machine.restartRequested();
        advance(Duration.ofMillis(29_999));
        assertEquals(Action.NONE, machine.tick());
        advance(Duration.ofMillis(1));
        assertEquals(Action.KILL_REPLACEMENT, machine.tick());
        assertEquals(SupervisorState.RUNNING, machine.state());
        assertTrue(machine.replacement().orElseThrow().message().contains("not healthy after 30.0 s"));
    }

    @Test
    void aNewWorkerThatCannotBeLaunchedFailsTheReplacement() {
        running();
        machine.restartRequested();
        assertEquals(Action.NONE, machine.replacementExited(-1, "no such file"));
        assertEquals(SupervisorState.RUNNING, machine.state());
        assertTrue(machine.replacement().orElseThrow().message().contains("could not be launched: no such file"));
    }

    @Test
    void theOldWorkerDyingDuringTheReplacementHandsTheJobToTheNewOne() {
        running();
        advance(Duration.ofSeconds(20));
        machine.restartRequested();
        advance(Duration.ofSeconds(1));
        assertEquals(Action.ADOPT_REPLACEMENT, machine.workerExited(137));
        assertEquals(SupervisorState.STARTING, machine.state());
        assertEquals(ExitReason.CRASHED, machine.lastExit().orElseThrow().reason());
        // Its start timeout counts from its own start, 1 s ago.
        advance(Duration.ofSeconds(29));
        assertEquals(Action.KILL_WORKER, machine.tick());
        assertEquals(Replacement.Outcome.PENDING, machine.replacement().orElseThrow().outcome());
        machine.workerExited(137);
        assertEquals(Replacement.Outcome.FAILED, machine.replacement().orElseThrow().outcome());
    }

    @Test
    void anAdoptedNewWorkerThatGetsHealthyCompletesTheReplacement() {
        running();
        machine.restartRequested();
        machine.workerExited(137);
        assertEquals(Action.NONE, machine.healthProbed(true, "ok"));
        assertEquals(SupervisorState.RUNNING, machine.state());
        assertEquals(Replacement.Outcome.SUCCEEDED, machine.replacement().orElseThrow().outcome());
    }

    @Test
    void stopDuringAReplacementStopsBoth() {
        running();
        machine.restartRequested();
        assertEquals(Action.TERMINATE_WORKER, machine.stopRequested());
        assertEquals(SupervisorState.STOPPING, machine.state());
        assertEquals(Replacement.Outcome.FAILED, machine.replacement().orElseThrow().outcome());
        assertEquals(Action.EXIT, machine.workerExited(0));
        assertEquals(0, machine.exitCode());
    }

    @Test
    void memoryGuardReplacesAWorkerOverItsLimitOnTwoProbesInARow() {
        running();
        assertEquals(Action.NONE, machine.memoryMeasured(101 * MB));
        assertEquals(Action.NONE, machine.memoryMeasured(99 * MB), "under again: the count starts over");
        assertEquals(Action.NONE, machine.memoryMeasured(101 * MB));
        assertEquals(Action.NONE, machine.memoryMeasured(null), "unknown: no decision");
        assertEquals(Action.NONE, machine.memoryMeasured(101 * MB));
        assertEquals(Action.START_REPLACEMENT, machine.memoryMeasured(150 * MB));
        assertEquals(ExitReason.MEMORY, machine.replacement().orElseThrow().reason());
        assertEquals(Action.PROMOTE_REPLACEMENT, machine.replacementProbed(true, "ok"));
        machine.retiredExited(0, machine.replacement().orElseThrow().reason());
        assertEquals(ExitReason.MEMORY, machine.lastExit().orElseThrow().reason());
    }

    @Test
    void aFailedMemoryReplacementPausesTheGuardSoThatABrokenWorkerIsNotStartedInALoop() {
        running();
        machine.memoryMeasured(200 * MB);
        assertEquals(Action.START_REPLACEMENT, machine.memoryMeasured(200 * MB));
        machine.replacementExited(78, "");
        machine.memoryMeasured(200 * MB);
        assertEquals(Action.NONE, machine.memoryMeasured(200 * MB));
        advance(Duration.ofSeconds(30)); // SIDECAR_BACKOFF_MAX
        assertEquals(Action.START_REPLACEMENT, machine.memoryMeasured(200 * MB));
    }

    @Test
    void memoryGuardOffWithZero() {
        SupervisorStateMachine off = new SupervisorStateMachine(
                ConfigLoader.load(Map.of(), Map.of("SIDECAR_WORKER_MAX_RSS", "0")), () -> now, line -> { }, true);
        off.begin();
        off.healthProbed(true, "ok");
        for (int i = 0; i < 5; i++) {
            assertEquals(Action.NONE, off.memoryMeasured(8_000 * MB));
        }
    }

    @Test
    void withoutReusePortTheMemoryGuardStopsThenStartsAtOnce() {
        SupervisorStateMachine plain = new SupervisorStateMachine(
                ConfigLoader.load(Map.of(), Map.of("SIDECAR_WORKER_MAX_RSS", "100m")), () -> now, line -> { }, false);
        plain.begin();
        plain.healthProbed(true, "ok");
        plain.memoryMeasured(200 * MB);
        assertEquals(Action.TERMINATE_WORKER, plain.memoryMeasured(200 * MB));
        assertEquals(Action.START_WORKER, plain.workerExited(0));
        assertEquals(ExitReason.MEMORY, plain.lastExit().orElseThrow().reason());
    }

    @Test
    void withoutReusePortARestartStopsTheWorkerFirst() {
        SupervisorStateMachine plain = new SupervisorStateMachine(ConfigLoader.load(Map.of(), Map.of()), () -> now,
                line -> { }, false);
        plain.begin();
        plain.healthProbed(true, "ok");
        assertEquals(Action.TERMINATE_WORKER, plain.restartRequested());
        assertEquals(SupervisorState.STOPPING, plain.state());
    }

    @Test
    void crashAfterTenSecondsOfHealthRestartsAtOnceThenThreeCrashesBackOffDoubling() {
        running();
        advance(Duration.ofSeconds(10));
        assertEquals(Action.START_WORKER, machine.workerExited(137), "at once");
        machine.healthProbed(true, "ok");
        List<Duration> delays = new ArrayList<>();
        for (int crash = 0; crash < 3; crash++) {
            advance(Duration.ofSeconds(1));
            assertEquals(Action.NONE, machine.workerExited(137));
            delays.add(machine.backoffRemaining());
            advance(machine.backoffRemaining());
            assertEquals(Action.START_WORKER, machine.tick());
            machine.healthProbed(true, "ok");
        }
        assertEquals(List.of(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2)), delays);
    }

    @Test
    void aReloadAppliesTheSupervisorTimingsFromThenOn() {
        running();
        assertEquals(Action.NONE, machine.healthProbed(false, "timeout"), "3 failures make it hung, by default");
        machine.reconfigured(ConfigLoader.load(Map.of(), Map.of("SIDECAR_HEALTH_FAILURES", "2",
                "SIDECAR_START_TIMEOUT", "5", "SIDECAR_BACKOFF_INITIAL", "0.2", "SIDECAR_WORKER_MAX_RSS", "100m")));
        assertEquals(Action.KILL_WORKER, machine.healthProbed(false, "timeout"), "the second failure, with 2");
        assertEquals(Action.NONE, machine.workerExited(137));
        assertEquals(SupervisorState.BACKOFF, machine.state());
        advance(Duration.ofMillis(200));
        assertEquals(Action.START_WORKER, machine.tick(), "after the reloaded first delay (0.2 s, not 0.5 s)");
        advance(Duration.ofMillis(4_999));
        assertEquals(Action.NONE, machine.tick());
        advance(Duration.ofMillis(1));
        assertEquals(Action.KILL_WORKER, machine.tick(), "not healthy within the reloaded 5 s start timeout");
    }
}
