package org.openaimoodle.sidecar.worker.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class QuietHeapReleaseTest {
    private final AtomicLong admitted = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong clock = new AtomicLong();
    private final AtomicInteger releases = new AtomicInteger();
    private final QuietHeapRelease policy = new QuietHeapRelease(admitted::get, inFlight::get, Duration.ofSeconds(10),
            releases::incrementAndGet, clock::get);

    private void after(Duration elapsed) {
        clock.addAndGet(elapsed.toNanos());
        policy.tick();
    }

    @Test
    void aWorkerThatNeverServedIsNeverCollected() {
        for (int i = 0; i < 100; i++) {
            after(Duration.ofSeconds(1));
        }
        assertEquals(0, releases.get());
    }

    @Test
    void releasesOnceWhenABusySpellHasBeenQuietForTenSeconds() {
        admitted.addAndGet(500);
        after(Duration.ofSeconds(1)); // activity seen
        after(Duration.ofSeconds(9));
        assertEquals(0, releases.get(), "9 s after the last admission");
        after(Duration.ofSeconds(1));
        assertEquals(1, releases.get(), "10 s after the last admission");
        for (int i = 0; i < 60; i++) {
            after(Duration.ofSeconds(1));
        }
        assertEquals(1, releases.get(), "an idle worker is not collected again");
    }

    @Test
    void waitsWhileARequestIsStillInFlight() {
        admitted.incrementAndGet();
        inFlight.set(1);
        after(Duration.ofSeconds(1));
        after(Duration.ofSeconds(30));
        assertEquals(0, releases.get(), "a slow request is still being answered");
        inFlight.set(0);
        after(Duration.ofSeconds(1));
        assertEquals(1, releases.get());
    }

    @Test
    void everyNewAdmissionRestartsTheQuietTime() {
        for (int i = 0; i < 20; i++) {
            admitted.incrementAndGet();
            after(Duration.ofSeconds(5));
        }
        assertEquals(0, releases.get(), "a request every 5 s is not quiet");
        after(Duration.ofSeconds(10));
        assertEquals(1, releases.get());
        admitted.incrementAndGet();
        after(Duration.ofSeconds(1));
        after(Duration.ofSeconds(10));
        assertEquals(2, releases.get(), "the next busy spell re-arms it");
    }
}
