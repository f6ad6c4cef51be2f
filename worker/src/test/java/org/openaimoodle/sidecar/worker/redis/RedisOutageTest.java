package org.openaimoodle.sidecar.worker.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class RedisOutageTest {
    private final AtomicLong now = new AtomicLong(5_000_000_000L);
    private final RedisOutage outage = new RedisOutage("redis://127.0.0.1:6379/0", false, now::get);

    private void advance(Duration by) {
        now.addAndGet(by.toNanos());
    }

    @Test
    void aFailureLeavesRedisAloneForOneSecondThenItIsTriedAgain() {
        assertFalse(outage.paused());
        outage.failed("limits", new IllegalStateException("connection refused"));
        assertTrue(outage.paused());
        advance(Duration.ofMillis(999));
        assertTrue(outage.paused());
        advance(Duration.ofMillis(1));
        assertFalse(outage.paused());
    }

    @Test
    void everyFailureIsCountedButOnlyOneAMinuteIsLogged() {
        for (int i = 0; i < 100; i++) {
            outage.failed("cache", new IllegalStateException("connection refused"));
            advance(Duration.ofMillis(500));
        }
        assertEquals(100, outage.failures());
        assertEquals(1, outage.warnings()); // 50 s of failures
        advance(Duration.ofSeconds(10));
        outage.failed("usage", new IllegalStateException("connection refused"));
        assertEquals(2, outage.warnings());
        outage.failed("usage", new IllegalStateException("connection refused"));
        assertEquals(2, outage.warnings());
        assertEquals(102, outage.failures());
    }
}
