package org.openaimoodle.sidecar.common.usage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The spool beside the usage store, where a stdio process leaves its usage records instead of opening SQLite (the
 * store's open and its driver would cost a stdio round trip more than its request). One record is one line,
 * appended with {@code O_APPEND} in one {@code write}, so the lines of concurrent stdio processes never interleave;
 * the HTTP worker and {@code sidecarctl usage} move the lines into the store ({@link SpoolImport}).
 *
 * <p>Files, for the store {@code usage.db}: {@code usage.db.spool} (the lines), {@code usage.db.spool.lock} (an
 * fcntl lock: writers hold it shared while they append, the importer exclusively while it renames the spool, so
 * no writer ever appends to a file already taken for import), {@code usage.db.spool.<id>.importing} (a spool taken
 * for import) and {@code usage.db.spool.dropped} (one byte per record dropped because the spool was full).
 *
 * <p>A line: {@code 1}, then time_ms, user, endpoint, action, model, prompt_tokens, completion_tokens, cached
 * ({@code 0}/{@code 1}), code and duration_ms, separated by tabs; {@code \}, tab, CR and LF in texts escaped as
 * {@code \\}, {@code \t}, {@code \r}, {@code \n}. No JSON library: the stdio path loads as little as it can.
 * Only {@code java.nio} here; the import's JDBC is in {@link SpoolImport}.
 */
public final class UsageSpool {
    /** The format's version, the first field of every line. */
    static final String VERSION = "1";
    /** Dropped records counted at most (the counter file's size bound). */
    static final long MAX_DROPPED_COUNT = 1 << 20;

    /** What became of one record. */
    public enum Appended {
        /** It is in the spool. */
        STORED,
        /** The spool was full: dropped and counted. */
        DROPPED,
        /** The spool could not be written (the error is the caller's to report). */
        FAILED
    }

    private UsageSpool() {
    }

    /** @return the spool of the store {@code db} */
    public static Path of(Path db) {
        return sibling(db, ".spool");
    }

    static Path lockOf(Path db) {
        return sibling(db, ".spool.lock");
    }

    static Path droppedOf(Path db) {
        return sibling(db, ".spool.dropped");
    }

    static Path sibling(Path db, String suffix) {
        return db.resolveSibling(db.getFileName() + suffix);
    }

    /**
     * @return one record as a spool line, ending in {@code \n}
     */
    public static byte[] line(long timeMs, String user, String endpoint, String action, String model,
                              long promptTokens, long completionTokens, boolean cached, String code, long durationMs) {
        StringBuilder out = new StringBuilder(96 + user.length() + action.length() + model.length());
        out.append(VERSION).append('\t').append(timeMs).append('\t');
        escape(user, out).append('\t');
        escape(endpoint, out).append('\t');
        escape(action, out).append('\t');
        escape(model, out).append('\t');
        out.append(promptTokens).append('\t').append(completionTokens).append('\t').append(cached ? '1' : '0')
                .append('\t');
        escape(code, out).append('\t').append(durationMs).append('\n');
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static StringBuilder escape(String text, StringBuilder out) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
        return out;
    }

    /**
     * Appends one line to the spool of {@code db}, unless the spool holds {@code maxBytes} already; then the record
     * is dropped and counted in {@code usage.db.spool.dropped}.
     *
     * @param db       the usage store (SIDECAR_USAGE_DB); its directory is created when missing
     * @param line     from {@link #line}
     * @param maxBytes the spool's bound (SIDECAR_USAGE_SPOOL_MAX_BYTES)
     * @return what became of it
     * @throws IOException when the spool cannot be written
     */
    public static Appended append(Path db, byte[] line, long maxBytes) throws IOException {
        Path dir = db.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
        try (FileChannel lock = FileChannel.open(lockOf(db), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
             var shared = lock.lock(0, Long.MAX_VALUE, true);
             FileChannel spool = FileChannel.open(of(db), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.APPEND)) {
            if (spool.size() + line.length > maxBytes) {
                countDropped(db);
                return Appended.DROPPED;
            }
            ByteBuffer bytes = ByteBuffer.wrap(line);
            while (bytes.hasRemaining()) {
                spool.write(bytes); // one write for a regular file; the loop only guards a short one
            }
            return Appended.STORED;
        }
    }

    private static void countDropped(Path db) throws IOException {
        try (FileChannel dropped = FileChannel.open(droppedOf(db), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            if (dropped.size() < MAX_DROPPED_COUNT) {
                dropped.write(ByteBuffer.wrap(new byte[] {'x'}));
            }
        }
    }

    /** @return whether there is anything to import for {@code db} (a spool, or one left mid-import) */
    public static boolean pending(Path db) {
        if (Files.exists(of(db))) {
            return true;
        }
        Path dir = db.toAbsolutePath().getParent();
        String prefix = db.getFileName() + ".spool.";
        try (var names = Files.newDirectoryStream(dir, entry -> {
            String name = entry.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".importing");
        })) {
            return names.iterator().hasNext();
        } catch (IOException e) {
            return false; // no directory: nothing spooled
        }
    }
}
