package org.openaimoodle.sidecar.supervisor.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Locale;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;

/** The status line's clock is written without a Formatter, and must read exactly as the format it replaced. */
class StatusReportClockTest {
    private static String formatted(long seconds) {
        Duration d = Duration.ofSeconds(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
    }

    @Test
    void readsAsTheFormatItReplaced() {
        LongStream.concat(LongStream.rangeClosed(-3_700, 7_300),
                LongStream.of(86_399, 86_400, 359_999, 360_000, 3_600_000_000L, -86_400, -3_600_000_000L))
                .forEach(seconds -> assertEquals(formatted(seconds), StatusReport.clock(seconds), "seconds " + seconds));
    }

    @Test
    void examples() {
        assertEquals("0:00:00", StatusReport.clock(0));
        assertEquals("0:12:03", StatusReport.clock(723));
        assertEquals("100:00:01", StatusReport.clock(360_001));
    }
}
