package org.openaimoodle.sidecar.worker.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.common.SecretMasker;

class LineLayoutTest {
    private static LoggingEvent event(String logger, String message, Throwable thrown) {
        return event(logger, Level.INFO, message, thrown);
    }

    private static LoggingEvent event(String logger, Level level, String message, Throwable thrown) {
        LoggerContext context = new LoggerContext();
        LoggingEvent event = new LoggingEvent("test", context.getLogger(logger), level, message, thrown, null);
        event.setTimeStamp(1_764_072_000_123L); // 2025-11-25T12:00:00.123Z
        return event;
    }

    @Test
    void supervisedLinesHaveNoTimestamp() {
        assertEquals("INFO access: action=chat\n", new LineLayout(false).doLayout(event("access", "action=chat", null)));
    }

    @Test
    void standaloneLinesStartWithAnIsoTimestampAndShortLoggerName() {
        assertEquals("2025-11-25T12:00:00.123Z INFO LoomServer: started\n",
                new LineLayout(true).doLayout(event("io.helidon.webserver.LoomServer", "started", null)));
    }

    @Test
    void timestampsMatchTheIsoFormatAcrossMillisecondsAndSeconds() {
        java.time.format.DateTimeFormatter iso = java.time.format.DateTimeFormatter
                .ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(java.time.ZoneOffset.UTC);
        long base = 1_764_072_000_000L;
        for (long millis : new long[] {base, base + 7, base + 42, base + 100, base + 999, base + 1000, base + 61_005,
                base + 86_400_000L, base - 1, 0L, -1L}) {
            StringBuilder line = new StringBuilder();
            LineLayout.appendTime(line, millis);
            assertEquals(iso.format(java.time.Instant.ofEpochMilli(millis)), line.toString(), "at " + millis);
        }
    }

    @Test
    void stackTraceLinesFollowIndented() {
        String text = new LineLayout(false).doLayout(event("worker", "failed", new IllegalStateException("boom",
                new java.io.IOException("root"))));
        String[] lines = text.split("\n");
        assertEquals("INFO worker: failed", lines[0]);
        assertEquals("\tjava.lang.IllegalStateException: boom", lines[1]);
        for (int i = 1; i < lines.length; i++) {
            assertTrue(lines[i].startsWith("\t") || lines[i].startsWith("Caused by:"), lines[i]);
        }
        assertTrue(text.contains("Caused by: java.io.IOException: root"), text);
    }

    @Test
    void controlCharactersInAMessageAreEscapedSoItStaysOneLine() {
        String text = new LineLayout(false).doLayout(event("worker",
                "upstream said \"x\n2026-01-01T00:00:00.000Z supervisor forged\r\u001b[2J\u0007\u0085\u2028\u007f\ttab\"", null));
        assertEquals("INFO worker: upstream said \"x\\n2026-01-01T00:00:00.000Z supervisor forged\\r\\u001b[2J\\u0007"
                + "\\u0085\\u2028\\u007f\\ttab\"\n", text);
    }

    @Test
    void aHugeMessageIsCutWithAMarkerThatCountsWhatWasLeftOut() {
        String huge = "2e;" + "B".repeat(4 * 1024 * 1024);
        String text = new LineLayout(false).doLayout(event("worker", huge, null));
        int kept = LineLayout.MAX_MESSAGE_CHARS;
        assertEquals("INFO worker: " + huge.substring(0, kept) + "… [truncated " + (huge.length() - kept) + " chars]\n",
                text);
    }

    @Test
    void theCutNeverSplitsASurrogatePair() {
        String text = new LineLayout(false).doLayout(event("worker", "a" + "😀".repeat(LineLayout.MAX_MESSAGE_CHARS), null));
        String kept = text.substring("INFO worker: ".length(), text.indexOf('…'));
        assertEquals(LineLayout.MAX_MESSAGE_CHARS - 1, kept.length());
        assertTrue(Character.isLowSurrogate(kept.charAt(kept.length() - 1)), "ends with a whole character");
    }

    @Test
    void aTraceIsBoundedInLinesAndCharactersAndEscapedLineByLine() {
        Throwable deep = new IllegalStateException("x\nINFO access: forged " + "B".repeat(1 << 20));
        for (int i = 0; i < 30; i++) {
            deep = new RuntimeException("level " + i + "\u001b[2J", deep);
        }
        Throwable thrown = recurse(500, deep);
        String text = new LineLayout(false).doLayout(event("worker", "failed", thrown));
        String[] lines = text.split("\n");
        assertTrue(lines.length <= LineLayout.MAX_TRACE_LINES + 2, "lines: " + lines.length);
        assertTrue(text.length() <= LineLayout.MAX_TRACE_CHARS + 200, "chars: " + text.length());
        for (int i = 1; i < lines.length; i++) {
            assertTrue(lines[i].startsWith("\t") || lines[i].startsWith("Caused by:"), lines[i]);
        }
        assertTrue(lines[lines.length - 1].matches("\t… \\[trace truncated: \\d+ more lines]"), lines[lines.length - 1]);
        assertFalse(text.contains("\u001b"));
    }

    @Test
    void aCauseMessageWithANewlineCannotStartALineOfItsOwn() {
        String text = new LineLayout(false).doLayout(event("worker", "failed",
                new IllegalStateException("outer", new java.io.IOException("boom\nINFO access: forged"))));
        assertTrue(text.contains("Caused by: java.io.IOException: boom\\nINFO access: forged\n"), text);
    }

    @Test
    void aBadConnectionWarningFromHelidonIsOneShortLine() {
        Throwable thrown = new IllegalStateException("Internal error",
                new java.util.NoSuchElementException("no more data\r\n" + "B".repeat(1 << 20)));
        String text = new LineLayout(false).doLayout(event("io.helidon.webserver.http1.Http1Connection", Level.WARN,
                "Internal server error", thrown));
        assertEquals(1, text.chars().filter(c -> c == '\n').count(), text);
        assertTrue(text.startsWith("WARN Http1Connection: Internal server error: java.lang.IllegalStateException: "
                + "Internal error (root cause java.util.NoSuchElementException: no more data\\r\\nBBB"), text);
        assertTrue(text.length() < 1200, "length " + text.length());
    }

    @Test
    void anErrorFromHelidonKeepsItsTrace() {
        String text = new LineLayout(false).doLayout(event("io.helidon.webserver.LoomServer", Level.ERROR, "failed",
                new IllegalStateException("boom")));
        assertTrue(text.contains("\n\tat "), text);
    }

    private static Throwable recurse(int depth, Throwable cause) {
        if (depth == 0) {
            return new RuntimeException("top", cause);
        }
        return recurse(depth - 1, cause);
    }

    @Test
    void aKeyThatStraddlesTheCapIsScrubbedBeforeTheCut() {
        String key = "plainkey0123456789ABCDEFGHIJ"; // not sk- shaped: only the configured masker knows it
        LogText.mask(SecretMasker.of(key));
        try {
            for (int offset = LineLayout.MAX_MESSAGE_CHARS - key.length(); offset <= LineLayout.MAX_MESSAGE_CHARS;
                    offset++) {
                String text = new LineLayout(false).doLayout(event("worker", "x".repeat(offset) + key + " tail", null));
                for (int i = 0; i + 6 <= key.length() - 4; i++) {
                    assertFalse(text.contains(key.substring(i, i + 6)), "offset " + offset + ": " + key.substring(i, i + 6));
                }
            }
        } finally {
            LogText.mask(SecretMasker.none());
        }
    }
}
