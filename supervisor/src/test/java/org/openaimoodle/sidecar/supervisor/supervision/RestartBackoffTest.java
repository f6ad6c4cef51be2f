package org.openaimoodle.sidecar.supervisor.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class RestartBackoffTest {
    private final RestartBackoff backoff = new RestartBackoff(Duration.ofMillis(500), Duration.ofSeconds(30),
            Duration.ofSeconds(60));

    @Test
    void delayDoublesFromHalfASecondUpToThirtySeconds() {
        long[] expected = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
        for (long millis : expected) {
            assertEquals(Duration.ofMillis(millis), backoff.nextDelay(Duration.ZERO));
        }
    }

    @Test
    void neverGivesUpAndNeverOverflowsAfterThousandsOfRestarts() {
        for (int i = 0; i < 10_000; i++) {
            backoff.nextDelay(Duration.ofSeconds(1));
        }
        assertEquals(Duration.ofSeconds(30), backoff.nextDelay(Duration.ZERO));
    }

    @Test
    void sixtySecondsHealthyResetsTheDelay() {
        backoff.nextDelay(Duration.ZERO);
        backoff.nextDelay(Duration.ZERO);
        assertEquals(Duration.ofSeconds(2), backoff.nextDelay(Duration.ofSeconds(59)));
        assertEquals(Duration.ofMillis(500), backoff.nextDelay(Duration.ofSeconds(60)));
        assertEquals(Duration.ofSeconds(1), backoff.nextDelay(Duration.ZERO));
    }

    @Test
    void crashAfterTenSecondsOfHealthIsImmediateAndDoesNotLengthenFurtherDelays() {
        assertEquals(Duration.ofMillis(500), backoff.afterCrash(Duration.ofSeconds(1)));
        assertEquals(Duration.ZERO, backoff.afterCrash(Duration.ofSeconds(10)));
        assertEquals(Duration.ofSeconds(1), backoff.afterCrash(Duration.ofMillis(9_999)));
        assertEquals(Duration.ofSeconds(2), backoff.afterCrash(Duration.ZERO));
    }

    @Test
    void immediateRestartAfterSixtySecondsHealthyStillResetsTheDelay() {
        backoff.afterCrash(Duration.ZERO);
        backoff.afterCrash(Duration.ZERO);
        assertEquals(Duration.ZERO, backoff.afterCrash(Duration.ofSeconds(60)));
        assertEquals(Duration.ofMillis(500), backoff.afterCrash(Duration.ZERO));
    }

    @Test
    void newDelaysKeepTheCrashesCountedSoFar() {
        backoff.nextDelay(Duration.ZERO);
        backoff.nextDelay(Duration.ZERO); // 500, 1000 ms: the third would be 2 s
        RestartBackoff reloaded = backoff.withDelays(Duration.ofMillis(100), Duration.ofMillis(300),
                Duration.ofSeconds(60));
        assertEquals(Duration.ofMillis(300), reloaded.nextDelay(Duration.ZERO), "100 ms doubled twice, capped");
        assertEquals(Duration.ofMillis(2000), backoff.nextDelay(Duration.ZERO), "the old one is unchanged");
    }
}
