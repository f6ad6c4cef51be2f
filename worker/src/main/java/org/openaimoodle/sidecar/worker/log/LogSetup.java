package org.openaimoodle.sidecar.worker.log;

import java.time.Duration;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.spi.ContextAwareBase;

import org.openaimoodle.sidecar.common.SecretMasker;

/**
 * Logback configured in code, found through {@code META-INF/services}: cheaper at start than parsing a
 * logback.xml, which matters in stdio mode. Output is {@code LEVEL logger: message}; outside supervision
 * an ISO-8601 timestamp goes first (the supervisor adds its own). The stream is stdout in HTTP mode and
 * stderr in stdio mode, where stdout carries only JSON replies. {@link #select} must run before the first
 * logger is created. Lines are written by a thread of their own ({@link NonBlockingAppender}): logging
 * never blocks a request; {@link #flush} before {@code Runtime.halt}, which skips the exit hook that
 * flushes otherwise.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_TOP_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
    private static final String STREAM = "sidecar.log.stream";
    private static final String TIMESTAMPS = "sidecar.log.timestamps";
    /** Long enough for lines already queued; short enough not to hold an exit when the reader is stalled. */
    private static final Duration EXIT_FLUSH = Duration.ofMillis(300);

    private static volatile NonBlockingAppender appender;

    /** Public no-argument constructor for the service loader. */
    public LogSetup() {
    }

    /**
     * Chooses the log stream and format for this process.
     *
     * @param toStdout   true in HTTP mode, false in stdio mode
     * @param timestamps false under the supervisor
     * @param secrets    scrubs this process's key, token and URL credentials from every logged text
     */
    public static void select(boolean toStdout, boolean timestamps, SecretMasker secrets) {
        LogText.mask(secrets);
        System.setProperty(STREAM, toStdout ? "stdout" : "stderr");
        System.setProperty(TIMESTAMPS, Boolean.toString(timestamps));
    }

    /** Waits a moment for queued log lines to be written: call it before {@code Runtime.halt}. */
    public static void flush() {
        NonBlockingAppender current = appender;
        if (current != null) {
            current.flush(EXIT_FLUSH);
        }
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        boolean stdout = "stdout".equals(System.getProperty(STREAM));
        boolean timestamps = !"false".equals(System.getProperty(TIMESTAMPS));

        LineLayout layout = new LineLayout(timestamps);
        layout.setContext(context);
        layout.start();
        NonBlockingAppender output = new NonBlockingAppender(layout, stdout ? System.out : System.err);
        output.setContext(context);
        output.setName("output");
        output.start();
        appender = output;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> output.flush(EXIT_FLUSH), "log-flush"));

        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(output);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
