package org.openaimoodle.sidecar.worker.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

class NonBlockingAppenderTest {
    private final LoggerContext context = new LoggerContext();

    private NonBlockingAppender appender(OutputStream out) {
        NonBlockingAppender appender = new NonBlockingAppender(new LineLayout(false), out);
        appender.setContext(context);
        appender.start();
        return appender;
    }

    private void log(NonBlockingAppender appender, String message) {
        appender.doAppend(new LoggingEvent("test", context.getLogger("access"), Level.INFO, message, null, null));
    }

    @Test
    void everyLineArrivesInOrderWhileTheReaderKeepsUp() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NonBlockingAppender appender = appender(out);
        for (int i = 0; i < 20_000; i++) {
            log(appender, "line " + i);
        }
        assertTrue(appender.flush(Duration.ofSeconds(20)));
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(20_000, lines.size());
        for (int i = 0; i < lines.size(); i++) {
            assertEquals("INFO access: line " + i, lines.get(i));
        }
    }

    @Test
    void aStalledReaderNeverBlocksTheLoggerAndLostLinesAreCountedOnceItReadsAgain() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        OutputStream stalled = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] bytes, int offset, int length) {
                try {
                    reading.await(); // a full pipe whose reader is stopped
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                written.write(bytes, offset, length);
            }
        };
        NonBlockingAppender appender = appender(stalled);
        int lines = NonBlockingAppender.MAX_QUEUED_LINES * 3;
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < lines; i++) {
                log(appender, "request " + i);
            }
        });
        long lost = appender.lost();
        // At most a full queue and the one batch the writer holds got through.
        assertTrue(lost >= lines - 2L * NonBlockingAppender.MAX_QUEUED_LINES, "lost " + lost);
        assertEquals(false, appender.flush(Duration.ofMillis(50)), "the flush is bounded, not stuck");

        reading.countDown();
        assertTrue(appender.flush(Duration.ofSeconds(20)));
        log(appender, "after");
        assertTrue(appender.flush(Duration.ofSeconds(20)));
        String text = written.toString(StandardCharsets.UTF_8);
        List<String> notices = text.lines().filter(line -> line.startsWith("WARN log: ")).toList();
        assertTrue(!notices.isEmpty() && notices.stream().allMatch(line -> line.matches(
                "WARN log: \\d+ log lines lost \\(output blocked\\)")), notices.toString());
        long counted = notices.stream().mapToLong(line -> Long.parseLong(line.split(" ")[2])).sum();
        assertTrue(counted >= lost, counted + " < " + lost);
        long arrived = text.lines().filter(line -> line.startsWith("INFO access: request ")).count();
        assertEquals(lines, arrived + counted, "every line arrived or was counted as lost");
        assertTrue(text.endsWith("INFO access: after\n"));
    }

    @Test
    void aBrokenOutputDoesNotStopTheWriter() {
        ByteArrayOutputStream later = new ByteArrayOutputStream();
        OutputStream flaky = new OutputStream() {
            private boolean failed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                if (!failed) {
                    failed = true;
                    throw new IOException("Broken pipe");
                }
                later.write(bytes, offset, length);
            }
        };
        NonBlockingAppender appender = appender(flaky);
        log(appender, "one");
        assertTrue(appender.flush(Duration.ofSeconds(10)));
        log(appender, "two");
        assertTrue(appender.flush(Duration.ofSeconds(10)));
        assertTrue(later.toString(StandardCharsets.UTF_8).contains("INFO access: two"));
    }
}
