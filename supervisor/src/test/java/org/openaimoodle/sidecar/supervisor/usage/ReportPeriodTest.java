package org.openaimoodle.sidecar.supervisor.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReportPeriodTest {
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void timesBackFromNow() {
        assertEquals(NOW.minus(Duration.ofDays(7)), ReportPeriod.parse("7d", NOW, BERLIN));
        assertEquals(NOW.minus(Duration.ofHours(12)), ReportPeriod.parse("12h", NOW, BERLIN));
        assertEquals(NOW.minus(Duration.ofMinutes(30)), ReportPeriod.parse(" 30m ", NOW, BERLIN));
        assertEquals(NOW, ReportPeriod.parse("0d", NOW, BERLIN));
    }

    @Test
    void aDateIsItsLocalMidnight() {
        assertEquals(Instant.parse("2026-11-23T23:00:00Z"), ReportPeriod.parse("2026-11-24", NOW, BERLIN));
        assertEquals(Instant.parse("2026-11-24T00:00:00Z"), ReportPeriod.parse("2026-11-24", NOW, ZoneId.of("UTC")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "7", "d", "7w", "-7d", "7.5d", "2026-13-01", "2026-02-30", "1234567d",
            "yesterday", "7d7d"})
    void anythingElseIsRefusedSayingWhatIsAccepted(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReportPeriod.parse(text, NOW, BERLIN));
        assertTrue(e.getMessage().contains("7d, 12h or 30m, or a date YYYY-MM-DD"), e.getMessage());
    }
}
