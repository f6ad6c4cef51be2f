package org.openaimoodle.sidecar.worker.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class LimitSpecTest {
    @Test
    void readsAmountAndPeriodInEachUnit() {
        assertEquals(new LimitSpec(30, Duration.ofHours(1)), LimitSpec.parse("30/1h"));
        assertEquals(new LimitSpec(100_000, Duration.ofDays(1)), LimitSpec.parse(" 100000 / 1d "));
        assertEquals(new LimitSpec(5, Duration.ofMinutes(10)), LimitSpec.parse("5/10m"));
        assertEquals(new LimitSpec(2, Duration.ofSeconds(90)), LimitSpec.parse("2/90S"));
        assertEquals(new LimitSpec(5_000_000, Duration.ofDays(30)), LimitSpec.parse("5000000/30d"));
    }

    @Test
    void refusesWhatIsNotNPerDuration() {
        for (String bad : new String[] {"30", "30/", "/1h", "30/h", "30/1", "0/1h", "30/0h", "-1/1h", "30/1w",
                "1.5/1h", "30/1h/2", "9999999999999999/1h"}) {
            assertThrows(IllegalArgumentException.class, () -> LimitSpec.parse(bad), bad);
        }
    }

    @Test
    void showsTheLimitForPeople() {
        assertEquals("30 per hour", LimitSpec.parse("30/1h").shown());
        assertEquals("5000000 per 30 days", LimitSpec.parse("5000000/30d").shown());
        assertEquals("100 per 90 seconds", LimitSpec.parse("100/90s").shown());
        assertEquals("10 per 2 hours", LimitSpec.parse("10/120m").shown());
    }

    @Test
    void wordsTheWaitRoundedUp() {
        assertEquals("1 second", QuotaExceeded.wording(Duration.ofMillis(10)));
        assertEquals("40 seconds", QuotaExceeded.wording(Duration.ofSeconds(40)));
        assertEquals("2 minutes", QuotaExceeded.wording(Duration.ofSeconds(120)));
        assertEquals("2 minutes", QuotaExceeded.wording(Duration.ofSeconds(61)));
        assertEquals("1 hour 5 minutes", QuotaExceeded.wording(Duration.ofMinutes(65)));
        assertEquals("3 days", QuotaExceeded.wording(Duration.ofHours(49)));
    }
}
