package org.openaimoodle.sidecar.common.usage;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Moves the {@link UsageSpool}'s lines into the usage store: the spool is renamed to
 * {@code usage.db.spool.<id>.importing} (under the exclusive spool lock, so no writer still appends to it), its
 * lines are inserted in one transaction that also inserts the file's name into {@code spool_imports}, and the
 * file is deleted after the commit. A crash at any point loses nothing and doubles nothing: a file renamed but
 * not imported is imported by the next run; one imported but not deleted is found in {@code spool_imports} and only
 * deleted. Two importers at once (the worker and {@code sidecarctl usage}, or two workers during a handover) are
 * serialized by SQLite's write lock and the name's primary key. Unreadable lines (a line cut by a full disk) are
 * skipped and counted.
 */
public final class SpoolImport {
    /** Names of imported spool files are kept this long: far longer than any crash leaves a file behind. */
    private static final long KEEP_NAMES_MS = 7L * 24 * 3600 * 1000;
    /** Longest line read: a record is far shorter (its texts are cut to 256 characters). */
    static final int MAX_LINE_BYTES = 8192;
    private static final int BATCH = 500;
    private static final String INSERT = "INSERT INTO usage (time_ms, user, endpoint, action, model, prompt_tokens, "
            + "completion_tokens, cached, code, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    /**
     * What one import did.
     *
     * @param records    lines inserted into the store
     * @param unreadable lines skipped because they are not a record
     * @param dropped    records stdio processes dropped because the spool was full, since the last import
     */
    public record Result(long records, long unreadable, long dropped) {
    }

    private SpoolImport() {
    }

    /**
     * @param db    the store's file (SIDECAR_USAGE_DB)
     * @param store an open connection to it
     * @return what was imported
     * @throws IOException  when the spool cannot be renamed or read (what was imported stays imported)
     * @throws SQLException when the store cannot be written (the spool stays for the next try)
     */
    public static Result run(Path db, Connection store) throws IOException, SQLException {
        takeSpool(db);
        long records = 0;
        long unreadable = 0;
        for (Path file : importing(db)) {
            long[] counts = importFile(file, store);
            records += counts[0];
            unreadable += counts[1];
        }
        return new Result(records, unreadable, takeDropped(db));
    }

    /** Renames the spool for import, while no writer appends to it. */
    private static void takeSpool(Path db) throws IOException {
        Path spool = UsageSpool.of(db);
        if (!Files.exists(spool)) {
            return;
        }
        try (FileChannel lock = FileChannel.open(UsageSpool.lockOf(db), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
             var exclusive = lock.lock()) {
            String id = System.currentTimeMillis() + "-" + ProcessHandle.current().pid() + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
            Files.move(spool, UsageSpool.sibling(db, ".spool." + id + ".importing"), StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            // another importer took it first
        }
    }

    private static List<Path> importing(Path db) throws IOException {
        Path dir = db.toAbsolutePath().getParent();
        String prefix = db.getFileName() + ".spool.";
        List<Path> files = new ArrayList<>();
        try (var names = Files.newDirectoryStream(dir, entry -> {
            String name = entry.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".importing");
        })) {
            names.forEach(files::add);
        }
        files.sort(null); // oldest first: the name starts with the time it was taken
        return files;
    }

    /** @return {records inserted, lines unreadable} */
    private static long[] importFile(Path file, Connection store) throws IOException, SQLException {
        InputStream in;
        try {
            in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
        } catch (NoSuchFileException e) {
            return new long[2]; // another importer finished it
        }
        String name = file.getFileName().toString();
        long inserted = 0;
        long unreadable = 0;
        boolean autoCommit = store.getAutoCommit();
        store.setAutoCommit(false);
        try (in) {
            try (Statement create = store.createStatement()) {
                create.execute("CREATE TABLE IF NOT EXISTS spool_imports (name TEXT PRIMARY KEY, time_ms INTEGER "
                        + "NOT NULL)");
            }
            boolean fresh;
            try (PreparedStatement mark = store.prepareStatement(
                    "INSERT OR IGNORE INTO spool_imports (name, time_ms) VALUES (?, ?)")) {
                mark.setString(1, name);
                mark.setLong(2, System.currentTimeMillis());
                fresh = mark.executeUpdate() == 1;
            }
            if (fresh) {
                try (PreparedStatement insert = store.prepareStatement(INSERT)) {
                    String line;
                    int batched = 0;
                    while ((line = nextLine(in)) != null) {
                        if (line.isEmpty()) {
                            continue;
                        }
                        String[] fields = fields(line);
                        if (fields == null || !bind(insert, fields)) {
                            unreadable++;
                            continue;
                        }
                        insert.addBatch();
                        inserted++;
                        if (++batched == BATCH) {
                            insert.executeBatch();
                            batched = 0;
                        }
                    }
                    insert.executeBatch();
                }
            }
            try (PreparedStatement purge = store.prepareStatement("DELETE FROM spool_imports WHERE time_ms < ?")) {
                purge.setLong(1, System.currentTimeMillis() - KEEP_NAMES_MS);
                purge.executeUpdate();
            }
            store.commit();
        } catch (SQLException | IOException | RuntimeException e) {
            store.rollback();
            throw e;
        } finally {
            store.setAutoCommit(autoCommit);
        }
        Files.deleteIfExists(file);
        return new long[] {inserted, unreadable};
    }

    /**
     * @return the next line without its {@code \n}, at most {@link #MAX_LINE_BYTES} (a longer one comes back as
     *         {@code "?"}, which is no record); null at the end
     */
    private static String nextLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        boolean tooLong = false;
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (line.size() < MAX_LINE_BYTES) {
                line.write(b);
            } else {
                tooLong = true;
            }
        }
        if (b == -1 && line.size() == 0) {
            return null;
        }
        return tooLong ? "?" : line.toString(StandardCharsets.UTF_8);
    }

    /** @return the line's eleven fields, unescaped; null when it is no record of this version */
    static String[] fields(String line) {
        String[] fields = new String[11];
        StringBuilder field = new StringBuilder();
        int n = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\t') {
                if (n == fields.length - 1) {
                    return null;
                }
                fields[n++] = field.toString();
                field.setLength(0);
            } else if (c == '\\' && i + 1 < line.length()) {
                char next = line.charAt(++i);
                field.append(switch (next) {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    default -> next;
                });
            } else {
                field.append(c);
            }
        }
        if (n != fields.length - 1 || !UsageSpool.VERSION.equals(fields[0])) {
            return null;
        }
        fields[n] = field.toString();
        return fields;
    }

    private static boolean bind(PreparedStatement insert, String[] f) throws SQLException {
        try {
            insert.setLong(1, Long.parseLong(f[1]));
            insert.setString(2, f[2]);
            insert.setString(3, f[3]);
            insert.setString(4, f[4]);
            insert.setString(5, f[5]);
            insert.setLong(6, Long.parseLong(f[6]));
            insert.setLong(7, Long.parseLong(f[7]));
            insert.setInt(8, "1".equals(f[8]) ? 1 : 0);
            insert.setString(9, f[9]);
            insert.setLong(10, Long.parseLong(f[10]));
            return true;
        } catch (NumberFormatException e) {
            insert.clearParameters();
            return false;
        }
    }

    /** @return the dropped records counted since the last import, and resets the count */
    private static long takeDropped(Path db) throws IOException {
        Path dropped = UsageSpool.droppedOf(db);
        if (!Files.exists(dropped)) {
            return 0;
        }
        try (FileChannel lock = FileChannel.open(UsageSpool.lockOf(db), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
             var exclusive = lock.lock()) {
            long count = Files.size(dropped);
            Files.deleteIfExists(dropped);
            return count;
        } catch (NoSuchFileException e) {
            return 0;
        }
    }
}
