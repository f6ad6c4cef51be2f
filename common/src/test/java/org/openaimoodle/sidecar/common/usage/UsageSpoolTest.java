package org.openaimoodle.sidecar.common.usage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spool of stdio usage records and its import, against real files and a real SQLite store. */
class UsageSpoolTest {
    @TempDir
    Path dir;

    private Path db() {
        return dir.resolve("state/usage.db");
    }

    private static byte[] record(String user, long time) {
        return UsageSpool.line(time, user, "stdio", "chat", "gpt-4o-mini", 10, 5, false, "ok", 12);
    }

    private List<String> stored(Connection store) throws Exception {
        List<String> rows = new ArrayList<>();
        try (ResultSet r = store.createStatement().executeQuery("SELECT * FROM usage ORDER BY time_ms")) {
            while (r.next()) {
                rows.add(r.getLong("time_ms") + "|" + r.getString("user") + "|" + r.getString("endpoint") + "|"
                        + r.getString("action") + "|" + r.getString("model") + "|" + r.getLong("prompt_tokens") + "|"
                        + r.getLong("completion_tokens") + "|" + r.getInt("cached") + "|" + r.getString("code") + "|"
                        + r.getLong("duration_ms"));
            }
        }
        return rows;
    }

    @Test
    void aLineKeepsTabsNewlinesAndBackslashesOfTheClientsTexts() {
        String user = "a\tb\nc\\d\re";
        String line = new String(UsageSpool.line(7, user, "stdio", "moodle/x", "m", 1, 2, true, "ok", 3),
                StandardCharsets.UTF_8);
        assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, line);
        assertArrayEquals(new String[] {"1", "7", user, "stdio", "moodle/x", "m", "1", "2", "1", "ok", "3"},
                SpoolImport.fields(line.substring(0, line.length() - 1)));
        assertNull(SpoolImport.fields("2\t7"), "another version or a cut line is no record");
        assertNull(SpoolImport.fields(line.substring(0, 20)));
    }

    @Test
    void theImportMovesEveryLineIntoTheStoreAndRemovesTheSpool() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals(UsageSpool.Appended.STORED, UsageSpool.append(db(), record("u" + i, 100 + i), 1 << 20));
        }
        Files.write(UsageSpool.of(db()), "1\tcut li".getBytes(StandardCharsets.UTF_8),
                java.nio.file.StandardOpenOption.APPEND); // a line cut by a full disk
        assertTrue(UsageSpool.pending(db()));
        try (Connection store = UsageDatabase.open(db(), true)) {
            SpoolImport.Result result = SpoolImport.run(db(), store);
            assertEquals(new SpoolImport.Result(3, 1, 0), result);
            assertEquals(List.of("100|u0|stdio|chat|gpt-4o-mini|10|5|0|ok|12", "101|u1|stdio|chat|gpt-4o-mini|10|5|0|ok|12",
                    "102|u2|stdio|chat|gpt-4o-mini|10|5|0|ok|12"), stored(store));
            assertFalse(UsageSpool.pending(db()));
            assertEquals(new SpoolImport.Result(0, 0, 0), SpoolImport.run(db(), store));
            assertEquals(3, stored(store).size());
        }
    }

    @Test
    void aSpoolOverItsBoundDropsAndCountsRecordsUntilItIsImported() throws Exception {
        int size = record("u", 1).length;
        long bound = 2L * size;
        assertEquals(UsageSpool.Appended.STORED, UsageSpool.append(db(), record("u", 1), bound));
        assertEquals(UsageSpool.Appended.STORED, UsageSpool.append(db(), record("u", 2), bound)); // exactly full
        assertEquals(UsageSpool.Appended.DROPPED, UsageSpool.append(db(), record("u", 3), bound));
        assertEquals(UsageSpool.Appended.DROPPED, UsageSpool.append(db(), record("u", 4), bound));
        assertEquals(bound, Files.size(UsageSpool.of(db())));
        try (Connection store = UsageDatabase.open(db(), true)) {
            assertEquals(new SpoolImport.Result(2, 0, 2), SpoolImport.run(db(), store));
            assertEquals(UsageSpool.Appended.STORED, UsageSpool.append(db(), record("u", 5), bound));
            assertEquals(new SpoolImport.Result(1, 0, 0), SpoolImport.run(db(), store));
            assertEquals(3, stored(store).size());
        }
    }

    @Test
    void aCrashAfterTheRenameOrAfterTheCommitNeitherLosesNorDoublesRecords() throws Exception {
        // Crash after the rename, before the import: the renamed file is imported by the next run.
        Path renamed = UsageSpool.sibling(db(), ".spool.1-1-a.importing");
        Files.createDirectories(renamed.getParent());
        Files.write(renamed, record("renamed", 1));
        // Crash after the commit, before the delete: its name is in spool_imports, so it is only deleted.
        Path committed = UsageSpool.sibling(db(), ".spool.2-1-b.importing");
        Files.write(committed, record("committed", 2));
        UsageSpool.append(db(), record("new", 3), 1 << 20);
        try (Connection store = UsageDatabase.open(db(), true)) {
            store.createStatement().execute("CREATE TABLE spool_imports (name TEXT PRIMARY KEY, time_ms INTEGER "
                    + "NOT NULL)");
            try (PreparedStatement insert = store.prepareStatement("INSERT INTO usage VALUES (2, 'committed', "
                    + "'stdio', 'chat', 'gpt-4o-mini', 10, 5, 0, 'ok', 12)")) {
                insert.executeUpdate();
            }
            store.createStatement().execute("INSERT INTO spool_imports VALUES ('" + committed.getFileName() + "', "
                    + System.currentTimeMillis() + ")");
            assertEquals(new SpoolImport.Result(2, 0, 0), SpoolImport.run(db(), store));
            List<String> users = stored(store).stream().map(row -> row.split("\\|")[1]).toList();
            assertEquals(List.of("renamed", "committed", "new"), users);
            assertFalse(Files.exists(renamed) || Files.exists(committed) || UsageSpool.pending(db()));
        }
    }

    @Test
    void anOverlongLineIsSkippedNotRead() throws Exception {
        Files.createDirectories(db().getParent());
        Files.write(UsageSpool.of(db()), ("1\t" + "x".repeat(SpoolImport.MAX_LINE_BYTES * 4) + "\n")
                .getBytes(StandardCharsets.UTF_8));
        UsageSpool.append(db(), record("after", 1), 1 << 20);
        try (Connection store = UsageDatabase.open(db(), true)) {
            assertEquals(new SpoolImport.Result(1, 1, 0), SpoolImport.run(db(), store));
        }
    }
}
