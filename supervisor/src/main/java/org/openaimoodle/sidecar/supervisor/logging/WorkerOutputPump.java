package org.openaimoodle.sidecar.supervisor.logging;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies the worker's merged stdout/stderr into the {@link LogSink} until end of stream. Lines that
 * continue a stack trace (leading whitespace, {@code Caused by:}, {@code Suppressed:}) and are already
 * available join the line before them, so a trace is written as one group.
 */
public final class WorkerOutputPump implements Runnable {
    private final InputStream output;
    private final LogSink sink;

    /**
     * @param output the worker's merged stdout and stderr
     * @param sink   the log file
     */
    public WorkerOutputPump(InputStream output, LogSink sink) {
        this.output = output;
        this.sink = sink;
    }

    @Override
    public void run() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
            String next = readLine(reader);
            while (next != null) {
                List<String> group = new ArrayList<>();
                group.add(next);
                next = null;
                // Only what is already buffered: waiting for more would delay every ordinary line.
                while (reader.ready()) {
                    String line = readLine(reader);
                    if (line == null) {
                        break;
                    }
                    if (!continuesTrace(line)) {
                        next = line;
                        break;
                    }
                    group.add(line);
                }
                sink.write("worker", group);
                if (next == null) {
                    next = readLine(reader);
                }
            }
        } catch (IOException e) {
            sink.line("supervisor", "reading the worker's output failed: " + e);
        }
    }

    /**
     * One line, or null at the end. When the worker exits, the JDK's process reaper moves what is left in
     * the pipe into a buffer and closes the pipe, which can fail a read that is blocked at that moment
     * ("Stream closed"); reading again returns those last lines, so they are not lost.
     */
    private static String readLine(BufferedReader reader) throws IOException {
        try {
            return reader.readLine();
        } catch (IOException e) {
            return reader.readLine();
        }
    }

    /** Whether {@code line} continues the line before it (a stack trace frame or cause). */
    static boolean continuesTrace(String line) {
        return !line.isEmpty() && (Character.isWhitespace(line.charAt(0))
                || line.startsWith("Caused by:") || line.startsWith("Suppressed:"));
    }
}
