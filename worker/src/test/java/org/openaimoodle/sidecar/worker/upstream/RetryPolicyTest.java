package org.openaimoodle.sidecar.worker.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private static final RetryPolicy POLICY = RetryPolicy.DEFAULT;
    private static final Duration PLENTY = Duration.ofSeconds(25);

    @Test
    void retriesOnlyTransientStatuses() {
        for (int status : new int[] {408, 409, 429, 500, 502, 503, 504}) {
            assertTrue(RetryPolicy.retryableStatus(status), "status " + status);
        }
        for (int status : new int[] {400, 401, 403, 404, 413, 422}) {
            assertFalse(RetryPolicy.retryableStatus(status), "status " + status);
        }
    }

    @Test
    void backoffDoublesFromHalfASecondWithJitterBetweenHalfAndFull() {
        assertEquals(Duration.ofMillis(250), POLICY.backoff(1, 0.0));
        assertEquals(Duration.ofMillis(500), POLICY.backoff(1, 0.999_999));
        assertEquals(Duration.ofMillis(500), POLICY.backoff(2, 0.0));
        assertEquals(Duration.ofMillis(1000), POLICY.backoff(2, 0.999_999));
        assertEquals(Duration.ofMillis(1500), POLICY.backoff(3, 0.5));
    }

    @Test
    void backoffIsCappedAtEightSeconds() {
        assertEquals(Duration.ofSeconds(8), POLICY.backoff(10, 0.999_999));
        assertEquals(Duration.ofSeconds(4), POLICY.backoff(50, 0.0));
    }

    @Test
    void atMostTwoRetries() {
        assertTrue(POLICY.delayBeforeRetry(0, Optional.empty(), PLENTY, 0.5).isPresent());
        assertTrue(POLICY.delayBeforeRetry(1, Optional.empty(), PLENTY, 0.5).isPresent());
        assertTrue(POLICY.delayBeforeRetry(2, Optional.empty(), PLENTY, 0.5).isEmpty());
    }

    @Test
    void serverHintReplacesBackoff() {
        assertEquals(Optional.of(Duration.ofSeconds(3)),
                POLICY.delayBeforeRetry(0, Optional.of(Duration.ofSeconds(3)), PLENTY, 0.5));
    }

    @Test
    void waitThatDoesNotFitTheDeadlineIsNotTaken() {
        assertTrue(POLICY.delayBeforeRetry(0, Optional.of(Duration.ofSeconds(30)), PLENTY, 0.5).isEmpty());
        assertTrue(POLICY.delayBeforeRetry(0, Optional.empty(), Duration.ofMillis(100), 0.5).isEmpty());
    }

    @Test
    void retryAfterMsWinsOverRetryAfter() {
        assertEquals(Optional.of(Duration.ofMillis(1500)),
                RetryPolicy.serverHint(Optional.of("1500"), Optional.of("7"), Instant.now()));
    }

    @Test
    void retryAfterAcceptsSecondsAndHttpDates() {
        Instant now = Instant.parse("2026-11-25T12:00:00Z");
        assertEquals(Optional.of(Duration.ofSeconds(2)),
                RetryPolicy.serverHint(Optional.empty(), Optional.of("2"), now));
        assertEquals(Optional.of(Duration.ofSeconds(5)),
                RetryPolicy.serverHint(Optional.empty(), Optional.of("Wed, 25 Nov 2026 12:00:05 GMT"), now));
        assertEquals(Optional.of(Duration.ZERO),
                RetryPolicy.serverHint(Optional.empty(), Optional.of("Wed, 25 Nov 2026 11:00:00 GMT"), now));
    }

    @Test
    void unusableHintsAreIgnored() {
        assertEquals(Optional.empty(), RetryPolicy.serverHint(Optional.of("soon"), Optional.of("-3"), Instant.now()));
        assertEquals(Optional.empty(), RetryPolicy.serverHint(Optional.empty(), Optional.empty(), Instant.now()));
    }
}
