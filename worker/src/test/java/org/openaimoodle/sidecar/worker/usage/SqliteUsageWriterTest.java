package org.openaimoodle.sidecar.worker.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.usage.UsageDatabase;

/** The writer against a real SQLite file. */
class SqliteUsageWriterTest {
    @TempDir
    Path dir;

    @Test
    void recordsAreStoredAsGivenAndOnesOlderThanTheRetentionAreDeleted() throws SQLException {
        Path file = dir.resolve("state/usage.db");
        long now = System.currentTimeMillis();
        SqliteUsageWriter writer = new SqliteUsageWriter(file, 90);
        writer.record(new UsageRecord(now - TimeUnit.DAYS.toMillis(91), "old", "ai", "chat", "m", 1, 1, false, "ok", 1));
        writer.record(new UsageRecord(now, "42", "v1", "v1", "gpt-4o-mini", 10, 5, true, "ok", 12));
        writer.close(Duration.ofSeconds(10));
        try (Connection store = UsageDatabase.open(file, false);
             ResultSet rows = store.createStatement().executeQuery("SELECT * FROM usage")) {
            List<String> found = new ArrayList<>();
            while (rows.next()) {
                found.add(rows.getLong("time_ms") + " " + rows.getString("user") + " " + rows.getString("endpoint")
                        + " " + rows.getString("action") + " " + rows.getString("model") + " "
                        + rows.getLong("prompt_tokens") + " " + rows.getLong("completion_tokens") + " "
                        + rows.getInt("cached") + " " + rows.getString("code") + " " + rows.getLong("duration_ms"));
            }
            assertEquals(List.of(now + " 42 v1 v1 gpt-4o-mini 10 5 1 ok 12"), found);
        }
        assertEquals(0, writer.failedRecords());
        assertEquals(0, writer.droppedRecords());
    }

    @Test
    void aSteadyStreamOfRecordsIsCommittedInBatchesNotOneTransactionEveryFewRecords() throws SQLException {
        Path file = dir.resolve("usage.db");
        SqliteUsageWriter writer = new SqliteUsageWriter(file, 90);
        int sent = 2_000;
        long now = System.currentTimeMillis();
        long start = System.nanoTime();
        for (int i = 0; i < sent; i++) { // two records a millisecond, as a worker at 2,000 req/s writes them
            writer.record(new UsageRecord(now + i, "u", "v1", "v1", "m", 1, 1, false, "ok", 1));
            if (i % 2 == 1) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
        }
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        writer.close(Duration.ofSeconds(30));
        // No batch was full (2 a millisecond is 100 per pause), so one commit per pause at most, plus the first
        // record's and the end's. Without the pause it was one commit every few records (hundreds here).
        long bound = elapsedMs / SqliteUsageWriter.COMMIT_PAUSE.toMillis() + 3;
        assertTrue(writer.transactions() <= bound, writer.transactions() + " transactions for " + sent
                + " records in " + elapsedMs + " ms (at most " + bound + ")");
        try (Connection store = UsageDatabase.open(file, false);
             ResultSet count = store.createStatement().executeQuery("SELECT COUNT(*) FROM usage")) {
            assertEquals(sent, count.next() ? count.getLong(1) : 0);
        }
    }

    @Test
    void aStoreThatCannotBeOpenedCountsItsRecordsAsFailed() throws Exception {
        Path plainFile = java.nio.file.Files.writeString(dir.resolve("plain"), "x");
        SqliteUsageWriter writer = new SqliteUsageWriter(plainFile.resolve("usage.db"), 90);
        writer.record(new UsageRecord(1, "u", "ai", "chat", "m", 1, 1, false, "ok", 1));
        writer.close(Duration.ofSeconds(10));
        assertEquals(1, writer.failedRecords());
    }

    @Test
    void clientTextsAreCut() {
        UsageRecord record = new UsageRecord(1, "u".repeat(5000), "ai", "a".repeat(300), "m".repeat(257), 0, 0,
                false, "ok", 0);
        assertEquals(UsageRecord.MAX_TEXT, record.user().length());
        assertEquals(UsageRecord.MAX_TEXT, record.action().length());
        assertEquals(UsageRecord.MAX_TEXT, record.model().length());
    }

    @Test
    void aFullQueueDropsAndCountsRecordsWithoutEverBlockingTheCaller() throws Exception {
        Path file = dir.resolve("usage.db");
        int sent = 2 * SqliteUsageWriter.QUEUE_CAPACITY;
        try (Connection blocker = UsageDatabase.open(file, true)) {
            blocker.createStatement().execute("BEGIN EXCLUSIVE"); // the writer waits on every batch: a stuck store
            SqliteUsageWriter writer = new SqliteUsageWriter(file, 90);
            long start = System.nanoTime();
            long now = System.currentTimeMillis(); // within the retention: the first batch's purge keeps them
            for (int i = 0; i < sent; i++) {
                writer.record(new UsageRecord(now + i, "u", "ai", "chat", "m", 1, 1, false, "ok", 1));
            }
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            // The queue holds 10,000; the writer took at most one batch of 500 before it got stuck on the lock.
            assertTrue(writer.droppedRecords() >= sent - SqliteUsageWriter.QUEUE_CAPACITY - 500
                    && writer.droppedRecords() <= sent - SqliteUsageWriter.QUEUE_CAPACITY, "dropped "
                    + writer.droppedRecords());
            assertTrue(elapsedMs < 1000, "recording 20,000 records against a stuck store took " + elapsedMs + " ms");
            blocker.createStatement().execute("ROLLBACK");
            writer.close(Duration.ofSeconds(30));
            long stored;
            try (ResultSet count = blocker.createStatement().executeQuery("SELECT COUNT(*) FROM usage")) {
                stored = count.next() ? count.getLong(1) : 0;
            }
            assertEquals(sent, stored + writer.failedRecords() + writer.droppedRecords(),
                    "every record is stored, failed or dropped: stored " + stored + ", failed "
                            + writer.failedRecords() + ", dropped " + writer.droppedRecords());
            assertTrue(stored >= SqliteUsageWriter.QUEUE_CAPACITY - 500, "stored " + stored);
        }
    }
}
