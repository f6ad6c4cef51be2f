package org.openaimoodle.sidecar.worker.log;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.LayoutBase;

/**
 * {@code [timestamp ]LEVEL logger: message}, then the stack trace if any, every line of it starting with a
 * tab or {@code Caused by:} so that the supervisor's log sink keeps it with its message (docs/internals.md).
 * Written out instead of a PatternLayout because the pattern machinery is a good part of Logback's start-up
 * cost in stdio mode.
 *
 * <p>A message can carry what a client or an upstream sent (Helidon quotes a bad chunk-size line whole), so
 * it is escaped and capped ({@link LogText}, {@link #MAX_MESSAGE_CHARS}), and so is a trace
 * ({@link #MAX_TRACE_LINES}, {@link #MAX_TRACE_CHARS}; each frame escaped on its own line). A warning from
 * Helidon's connection handling with an exception is a client's bad connection, not a bug worth a trace:
 * it becomes one short line naming the exception and its root cause.
 */
final class LineLayout extends LayoutBase<ILoggingEvent> {
    /** Longest message kept, in characters of escaped text. */
    static final int MAX_MESSAGE_CHARS = 8192;
    /** Lines of one stack trace kept. */
    static final int MAX_TRACE_LINES = 100;
    /** Characters of one stack trace kept. */
    static final int MAX_TRACE_CHARS = 16384;
    /** Longest exception message in a trace line or a one-line summary. */
    static final int MAX_EXCEPTION_MESSAGE_CHARS = 512;

    /** The timestamp up to its milliseconds; {@code SSS} and {@code Z} (UTC) are appended per line. */
    private static final DateTimeFormatter SECOND =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.").withZone(ZoneOffset.UTC);
    /**
     * The last second formatted: lines of the same second share its text instead of running the formatter
     * each (it was ~3 % of the worker's CPU at 3,000 requests/s, one access line each).
     */
    private static volatile Second second = new Second(Long.MIN_VALUE, "");
    private static final String CONNECTION_LOGGERS = "io.helidon.webserver.";
    private static final int MAX_CAUSE_DEPTH = 32;

    private final boolean timestamps;

    /** @param timestamps false under the supervisor, which stamps each line itself */
    LineLayout(boolean timestamps) {
        this.timestamps = timestamps;
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = header(event.getTimeStamp(), event.getLevel(), event.getLoggerName());
        IThrowableProxy thrown = event.getThrowableProxy();
        LogText.append(line, event.getFormattedMessage(), MAX_MESSAGE_CHARS);
        if (thrown != null && event.getLoggerName().startsWith(CONNECTION_LOGGERS)
                && !event.getLevel().isGreaterOrEqual(Level.ERROR)) {
            line.append(": ");
            summary(line, thrown);
            return line.append('\n').toString();
        }
        line.append('\n');
        if (thrown != null) {
            new Trace(line).write(thrown, "", 0, 0);
        }
        return line.toString();
    }

    /** A line of this log's own, e.g. the notice about lost lines. */
    String line(long timeMillis, Level level, String logger, String message) {
        StringBuilder line = header(timeMillis, level, logger);
        LogText.append(line, message, MAX_MESSAGE_CHARS);
        return line.append('\n').toString();
    }

    private StringBuilder header(long timeMillis, Level level, String logger) {
        StringBuilder line = new StringBuilder(160);
        if (timestamps) {
            appendTime(line, timeMillis);
            line.append(' ');
        }
        return line.append(level).append(' ').append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(": ");
    }

    /** Appends {@code yyyy-MM-ddTHH:mm:ss.SSSZ} (UTC). */
    static void appendTime(StringBuilder line, long timeMillis) {
        long epochSecond = Math.floorDiv(timeMillis, 1000L);
        int millis = (int) Math.floorMod(timeMillis, 1000L);
        Second current = second;
        if (current.epochSecond() != epochSecond) {
            current = new Second(epochSecond, SECOND.format(Instant.ofEpochSecond(epochSecond)));
            second = current;
        }
        line.append(current.text());
        if (millis < 100) {
            line.append(millis < 10 ? "00" : "0");
        }
        line.append(millis).append('Z');
    }

    /** A second and its formatted text. */
    private record Second(long epochSecond, String text) {
    }

    /** {@code Class: message}, and {@code (root cause Class: message)} when it has a cause. */
    private static void summary(StringBuilder line, IThrowableProxy thrown) {
        describe(line, thrown);
        IThrowableProxy root = thrown;
        for (int depth = 0; root.getCause() != null && depth < MAX_CAUSE_DEPTH; depth++) {
            root = root.getCause();
        }
        if (root != thrown) {
            line.append(" (root cause ");
            describe(line, root);
            line.append(')');
        }
    }

    private static void describe(StringBuilder line, IThrowableProxy thrown) {
        line.append(thrown.getClassName());
        if (thrown.getMessage() != null) {
            line.append(": ");
            LogText.append(line, thrown.getMessage(), MAX_EXCEPTION_MESSAGE_CHARS);
        }
    }

    /** Writes a trace in Logback's shape, until its line or character budget runs out. */
    private static final class Trace {
        private final StringBuilder out;
        private final int start;
        private int lines;
        private int skipped;

        Trace(StringBuilder out) {
            this.out = out;
            this.start = out.length();
        }

        void write(IThrowableProxy thrown, String prefix, int indent, int depth) {
            // The exception's own first line is indented too, so every line of the trace reads as a continuation.
            StringBuilder header = new StringBuilder().append("\t".repeat(depth == 0 && indent == 0 ? 1 : indent))
                    .append(prefix);
            describe(header, thrown);
            add(header);
            StackTraceElementProxy[] frames = thrown.getStackTraceElementProxyArray();
            String frameIndent = "\t".repeat(indent + 1);
            for (int i = 0; i < frames.length - thrown.getCommonFrames(); i++) {
                StringBuilder frame = new StringBuilder(frameIndent);
                LogText.append(frame, frames[i].getSTEAsString(), MAX_EXCEPTION_MESSAGE_CHARS);
                add(frame);
            }
            if (thrown.getCommonFrames() > 0) {
                add(new StringBuilder(frameIndent).append("... ").append(thrown.getCommonFrames())
                        .append(" common frames omitted"));
            }
            if (depth < MAX_CAUSE_DEPTH) {
                for (IThrowableProxy suppressed : thrown.getSuppressed() == null ? new IThrowableProxy[0]
                        : thrown.getSuppressed()) {
                    write(suppressed, "Suppressed: ", indent + 1, depth + 1);
                }
                if (thrown.getCause() != null) {
                    write(thrown.getCause(), "Caused by: ", indent, depth + 1);
                }
            }
            if (depth == 0 && skipped > 0) {
                out.append("\t… [trace truncated: ").append(skipped).append(" more lines]\n");
            }
        }

        private void add(StringBuilder text) {
            if (lines >= MAX_TRACE_LINES || out.length() - start + text.length() > MAX_TRACE_CHARS) {
                skipped++;
                return;
            }
            out.append(text).append('\n');
            lines++;
        }
    }
}
