package org.openaimoodle.sidecar.supervisor.logging;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.openaimoodle.sidecar.common.SecretMasker;
import org.openaimoodle.sidecar.common.ControlCharacters;

/**
 * The log file, written by the supervisor alone: {@code <ISO-8601 timestamp> <source> <line>}, in append
 * mode, the API key masked and control characters escaped in every line ({@link ControlCharacters}, tabs kept), so nothing
 * that reaches the file starts a line of its own or drives a terminal. A group of lines (a stack trace)
 * is written in one piece with one timestamp. A file it creates gets mode 0640 (less with a stricter
 * umask); the file is reopened on {@link #reopen()} (logrotate's {@code postrotate}) and, without being
 * asked, when the path no longer names the open file (moved or deleted). A write failure (disk full,
 * permissions) is reported on stderr and retried with the next line, which starts on a line of its own
 * even if the failed write stopped half-way; it never throws.
 */
public final class LogSink implements AutoCloseable {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    private static final long ERROR_REPORT_INTERVAL_NANOS = 30_000_000_000L;
    private static final Set<StandardOpenOption> APPEND = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND);
    private static final FileAttribute<?> OWNER_WRITES_GROUP_READS =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----"));

    private final Path file;
    private final SecretMasker masker;
    private final PrintStream errors;

    private FileChannel channel;
    private Object openFileKey;
    private long lostLines;
    private long lastErrorReport;
    private boolean failing;
    /** The last write stopped in the middle of a line: the next one must begin with a newline. */
    private boolean torn;

    /**
     * @param file   the log file ({@code SIDECAR_LOG_FILE}); created if missing, never truncated
     * @param masker hides the API key and the other secrets
     * @param errors where write failures are reported (the supervisor's stderr)
     */
    public LogSink(Path file, SecretMasker masker, PrintStream errors) {
        this.file = file;
        this.masker = masker;
        this.errors = errors;
    }

    /** Writes one line from {@code source} ({@code supervisor} or {@code worker}). */
    public void line(String source, String line) {
        write(source, List.of(line));
    }

    /** Writes a group of lines (a message and its stack trace) together, with one timestamp. */
    public synchronized void write(String source, List<String> lines) {
        String prefix = ZonedDateTime.now().format(TIMESTAMP) + " " + source + " ";
        StringBuilder text = new StringBuilder();
        if (torn) {
            text.append('\n');
        }
        if (lostLines > 0) {
            text.append(ZonedDateTime.now().format(TIMESTAMP)).append(" supervisor ").append(lostLines)
                    .append(" log lines were lost while ").append(ControlCharacters.escapeKeepingTabs(file.toString()))
                    .append(" could not be written\n");
        }
        for (String line : lines) {
            text.append(prefix).append(ControlCharacters.escapeKeepingTabs(masker.scrub(line))).append('\n');
        }
        ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
        try {
            ensureOpen();
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            torn = false;
            if (failing) {
                errors.println("openai-moodle-sidecar: log file " + file + " is writable again");
            }
            failing = false;
            lostLines = 0;
        } catch (IOException | RuntimeException e) {
            torn |= bytes.position() > 0;
            lostLines += lines.size();
            reportFailure(e);
            closeQuietly();
        }
    }

    /** Closes the file and opens the path again: the rotated file keeps the old lines, the new one gets the next. */
    public synchronized void reopen() {
        closeQuietly();
        try {
            ensureOpen();
        } catch (IOException | RuntimeException e) {
            reportFailure(e);
            closeQuietly();
        }
    }

    /** The log file's path. */
    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }

    private void ensureOpen() throws IOException {
        if (channel != null && !Objects.equals(currentFileKey(), openFileKey)) {
            closeQuietly(); // moved or deleted under us: follow the path, as logrotate expects
        }
        if (channel == null) {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            channel = openForAppend();
            openFileKey = currentFileKey();
        }
    }

    /** The log can hold what clients and upstreams sent: not for every user of the machine to read. */
    private FileChannel openForAppend() throws IOException {
        try {
            return FileChannel.open(file, APPEND, OWNER_WRITES_GROUP_READS);
        } catch (UnsupportedOperationException e) {
            return FileChannel.open(file, APPEND); // a file system without POSIX permissions
        }
    }

    private Object currentFileKey() {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private void reportFailure(Exception e) {
        long now = System.nanoTime();
        if (!failing || now - lastErrorReport >= ERROR_REPORT_INTERVAL_NANOS) {
            errors.println("openai-moodle-sidecar: cannot write log file " + file + ": " + e
                    + " (supervision continues; retrying with every line; check disk space and permissions)");
            lastErrorReport = now;
        }
        failing = true;
    }

    private void closeQuietly() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to do with a channel we are discarding
            }
        }
        channel = null;
        openFileKey = null;
    }
}
