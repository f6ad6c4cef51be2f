package org.openaimoodle.sidecar.supervisor.logging;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Copies the worker's merged stdout/stderr into the {@link LogSink} until end of stream. The lines that are
 * already available when one arrives are written with it, as one group: one write and one timestamp for a
 * burst of access lines instead of one each (at 5,000 requests a second that was 16 % of a core), and a stack
 * trace (whose lines continue with leading whitespace, {@code Caused by:}, {@code Suppressed:}) is never split
 * from the line before it unless it exceeds the group's bounds.
 *
 * <p>The worker's output is outside text as far as this JVM's small heap is concerned: a line longer than
 * {@link BoundedLineReader#MAX_LINE_BYTES} is cut (with a marker) and the rest of it skipped without
 * being buffered, a group is written out once it reaches {@link #MAX_GROUP_LINES} lines or
 * {@link #MAX_GROUP_BYTES}, and a failure while copying one line is logged and costs that line only.
 * {@link #run()} returns only at the end of the stream or when the stream can no longer be read; what
 * happens then is {@link #start}'s business.
 */
public final class WorkerOutputPump implements Runnable {
    /** Lines of one trace group kept together; a longer trace continues in the next group. */
    static final int MAX_GROUP_LINES = 256;
    /** Bytes of one trace group kept together. */
    static final int MAX_GROUP_BYTES = 256 * 1024;

    /** How long a worker may live on after its output ended before it counts as unreadable. */
    static final Duration EXIT_GRACE = Duration.ofSeconds(2);

    /** Where the lines go: the {@link LogSink}. */
    interface Destination {
        void write(String source, List<String> lines);
    }

    private final BoundedLineReader reader;
    private final Destination sink;

    /**
     * @param output the worker's merged stdout and stderr
     * @param sink   the log file
     */
    public WorkerOutputPump(InputStream output, LogSink sink) {
        this(output, sink::write);
    }

    WorkerOutputPump(InputStream output, Destination sink) {
        this.reader = new BoundedLineReader(output);
        this.sink = sink;
    }

    /**
     * Copies {@code worker}'s output into {@code sink} on a daemon thread. Should the copying ever end
     * while the worker lives on (its output closed or unreadable, or the thread killed by an error), the
     * worker's lines would be lost from then on: the worker is then sent SIGTERM, which the supervisor
     * sees as an exit and answers with a restart.
     *
     * @return the started thread
     */
    public static Thread start(Process worker, LogSink sink) {
        Runnable pump = new WorkerOutputPump(worker.getInputStream(), sink);
        Thread thread = new Thread(() -> {
            try {
                pump.run();
            } finally {
                stopIfStillRunning(worker, sink::line);
            }
        }, "worker-output-" + worker.pid());
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    static void stopIfStillRunning(Process worker, BiConsumer<String, String> log) {
        try {
            if (worker.waitFor(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.accept("supervisor", "the output of worker pid " + worker.pid() + " can no longer be read while it runs;"
                + " stopping it so that it is restarted (its log lines would be lost)");
        // Through the handle: Process.destroy() would also close the pipes.
        worker.toHandle().destroy();
    }

    @Override
    public void run() {
        String next = readLine();
        while (next != null) {
            List<String> group = new ArrayList<>();
            group.add(next);
            long groupBytes = next.length();
            try {
                // Only what is already buffered: waiting for more would delay every ordinary line.
                while (group.size() < MAX_GROUP_LINES && groupBytes < MAX_GROUP_BYTES && reader.ready()) {
                    String line = readLine();
                    if (line == null) {
                        break;
                    }
                    group.add(line);
                    groupBytes += line.length();
                }
            } catch (RuntimeException | Error e) {
                report(e); // the lines gathered so far are still written
            }
            write(group);
            next = readLine();
        }
    }

    /**
     * Writes a group; when that fails, writes it again trace by trace (a line and the lines that continue it),
     * so that a failure costs the trace it happened in, not the lines read with it.
     */
    private void write(List<String> group) {
        try {
            sink.write("worker", group);
            return;
        } catch (RuntimeException | Error e) {
            if (group.size() == 1) {
                report(e);
                return;
            }
        }
        int start = 0;
        for (int i = 1; i <= group.size(); i++) {
            if (i == group.size() || !continuesTrace(group.get(i))) {
                try {
                    sink.write("worker", group.subList(start, i));
                } catch (RuntimeException | Error e) {
                    report(e); // costs this trace only
                }
                start = i;
            }
        }
    }

    /** One line, or null at the end of the stream or when it can no longer be read (reported then). */
    private String readLine() {
        try {
            return reader.readLine();
        } catch (IOException | RuntimeException | Error e) {
            report(e);
            return null; // a stream that fails once cannot be trusted to return to a line boundary
        }
    }

    private void report(Throwable e) {
        try {
            sink.write("supervisor", List.of("copying the worker's output failed: " + e));
        } catch (RuntimeException | Error again) {
            // the sink itself is failing; it reports on stderr, and the next line tries again
        }
    }

    /** Whether {@code line} continues the line before it (a stack trace frame or cause). */
    static boolean continuesTrace(String line) {
        return !line.isEmpty() && (Character.isWhitespace(line.charAt(0))
                || line.startsWith("Caused by:") || line.startsWith("Suppressed:"));
    }
}
