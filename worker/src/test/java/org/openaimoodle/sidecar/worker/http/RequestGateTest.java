package org.openaimoodle.sidecar.worker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.worker.http.RequestGate.Admission;

class RequestGateTest {
    @Test
    void admitsUpToTheLimitThenRefusesUntilOneLeaves() {
        RequestGate gate = new RequestGate(2);
        assertEquals(Admission.ADMITTED, gate.tryEnter());
        assertEquals(Admission.ADMITTED, gate.tryEnter());
        assertEquals(Admission.OVER_LIMIT, gate.tryEnter());
        gate.leave();
        assertEquals(Admission.ADMITTED, gate.tryEnter());
    }

    @Test
    void countsAdmissionsAndWhatIsInFlightButNotRefusals() {
        RequestGate gate = new RequestGate(2);
        gate.tryEnter();
        gate.tryEnter();
        gate.tryEnter(); // over the limit
        assertEquals(2, gate.admittedSoFar());
        assertEquals(2, gate.inFlight());
        gate.leave();
        assertEquals(1, gate.inFlight());
        assertEquals(2, gate.admittedSoFar(), "leaving does not undo an admission");
    }

    @Test
    void drainWithNothingInFlightReturnsAtOnceAndThenRefusesAll() throws InterruptedException {
        RequestGate gate = new RequestGate(3);
        assertTrue(gate.drain(Duration.ZERO));
        assertTrue(gate.draining());
        assertEquals(Admission.DRAINING, gate.tryEnter());
    }

    @Test
    void drainWaitsForAdmittedRequestsAndGivesUpAfterItsBudget() throws Exception {
        RequestGate gate = new RequestGate(2);
        assertEquals(Admission.ADMITTED, gate.tryEnter());
        assertFalse(gate.drain(Duration.ofMillis(1)), "a request is still in flight");
        CountDownLatch draining = new CountDownLatch(1);
        Thread drainer = Thread.ofVirtual().start(() -> {
            try {
                draining.countDown();
                assertTrue(gate.drain(Duration.ofSeconds(10)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(draining.await(5, TimeUnit.SECONDS));
        gate.leave();
        drainer.join(10_000);
        assertFalse(drainer.isAlive());
    }

    @Test
    void noRequestIsAdmittedOnceDrainHasReturned() throws Exception {
        // The race: admissions racing a drain. Whatever got in must be seen by the drain (it waits for it);
        // nothing may be admitted after the drain returned true.
        for (int round = 0; round < 200; round++) {
            RequestGate gate = new RequestGate(4);
            AtomicInteger inFlight = new AtomicInteger();
            AtomicInteger admittedAfterDrain = new AtomicInteger();
            java.util.concurrent.atomic.AtomicBoolean drained = new java.util.concurrent.atomic.AtomicBoolean();
            CountDownLatch go = new CountDownLatch(1);
            Thread[] clients = new Thread[4];
            for (int i = 0; i < clients.length; i++) {
                clients[i] = Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int j = 0; j < 50; j++) {
                        if (gate.tryEnter() == Admission.ADMITTED) {
                            if (drained.get()) {
                                admittedAfterDrain.incrementAndGet();
                            }
                            inFlight.incrementAndGet();
                            inFlight.decrementAndGet();
                            gate.leave();
                        }
                    }
                });
            }
            go.countDown();
            assertTrue(gate.drain(Duration.ofSeconds(10)));
            drained.set(true);
            assertEquals(0, inFlight.get(), "drain returned with a request in flight");
            for (Thread client : clients) {
                client.join(10_000);
            }
            assertEquals(0, admittedAfterDrain.get(), "admitted after the drain returned");
        }
    }
}
