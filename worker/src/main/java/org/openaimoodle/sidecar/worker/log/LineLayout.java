package org.openaimoodle.sidecar.worker.log;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;

/**
 * {@code [timestamp ]LEVEL logger: message}, then the stack trace if any, every line of it starting with a
 * tab or {@code Caused by:} so that the supervisor's log sink keeps it with its message (docs/internals.md). Written out instead of a
 * PatternLayout because the pattern machinery is a good part of Logback's start-up cost in stdio mode.
 */
final class LineLayout extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);

    private final boolean timestamps;

    /** @param timestamps false under the supervisor, which stamps each line itself */
    LineLayout(boolean timestamps) {
        this.timestamps = timestamps;
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(160);
        if (timestamps) {
            line.append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp()))).append(' ');
        }
        String logger = event.getLoggerName();
        line.append(event.getLevel()).append(' ')
                .append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(": ")
                .append(event.getFormattedMessage()).append('\n');
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            // Indent the exception's own first line too, so every line of the trace reads as a continuation.
            line.append('\t').append(ThrowableProxyUtil.asString(thrown));
        }
        return line.toString();
    }
}
