package org.openaimoodle.sidecar.worker.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

class LineLayoutTest {
    private static LoggingEvent event(String logger, String message, Throwable thrown) {
        LoggerContext context = new LoggerContext();
        LoggingEvent event = new LoggingEvent("test", context.getLogger(logger), Level.INFO, message, thrown, null);
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
}
