package org.openaimoodle.sidecar.worker.usage;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.openaimoodle.sidecar.common.usage.SpoolImport;
import org.openaimoodle.sidecar.common.usage.UsageDatabase;
import org.openaimoodle.sidecar.common.usage.UsageSpool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps usage records in the SQLite store off the request path: {@link #record} only offers to a bounded queue;
 * one daemon thread opens the store on the first record (so the driver is loaded after the first reply, not
 * before it), and inserts what has queued up in one transaction. Each commit costs an fsync of the write-ahead log,
 * so after a batch that was not full the thread waits {@link #COMMIT_PAUSE} before it takes the next: under load
 * the records of that pause go in one transaction instead of one transaction every few records (an fsync per
 * commit was 5 % of the worker's CPU at 16 clients); a single record is still written at once. A store that fails costs nothing but its
 * records: failures are counted and logged at most once a minute, a full queue drops (and counts) records, and
 * the next batch tries the store again (the disk may have room by then).
 *
 * <p>The same thread imports the records stdio processes left in the spool beside the store ({@link SpoolImport}):
 * when it starts and every {@link #IMPORT_INTERVAL} after, only when there is a spool (so a worker without one
 * still loads the driver with its first record, not at start).
 */
public final class SqliteUsageWriter implements UsageRecorder {
    private static final Logger LOG = LoggerFactory.getLogger("usage");
    /** Records waiting for the writer; beyond this a burst against a slow or broken store is dropped. */
    static final int QUEUE_CAPACITY = RecordQueue.CAPACITY;
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** How often the spool of stdio records is looked for. */
    static final Duration IMPORT_INTERVAL = Duration.ofSeconds(10);
    /** The wait after a batch that was not full, so that a steady stream of records is committed in batches. */
    static final Duration COMMIT_PAUSE = Duration.ofMillis(50);
    private static final long PURGE_INTERVAL_MS = TimeUnit.DAYS.toMillis(1);
    private static final String INSERT = "INSERT INTO usage (time_ms, user, endpoint, action, model, prompt_tokens, "
            + "completion_tokens, cached, code, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private final Path file;
    private final int retentionDays;
    private final RecordQueue queue = new RecordQueue();
    private final AtomicLong failedRecords = new AtomicLong();
    private final AtomicLong importedRecords = new AtomicLong();
    private final AtomicLong transactions = new AtomicLong();
    private final Thread thread;
    private Connection connection;
    private long lastPurgeMs;
    private long lastLogNanos;
    private boolean loggedOnce;

    /**
     * @param file          the store (SIDECAR_USAGE_DB)
     * @param retentionDays records older than this are deleted when the store is opened and daily after
     */
    public SqliteUsageWriter(Path file, int retentionDays) {
        this.file = file;
        this.retentionDays = retentionDays;
        this.thread = Thread.ofPlatform().daemon().name("usage-writer").unstarted(this::run);
        thread.start();
    }

    @Override
    public void record(UsageRecord record) {
        queue.offer(record);
    }

    @Override
    public void close(Duration bound) {
        queue.close(thread, bound);
    }

    /** @return records that reached the writer but could not be stored */
    public long failedRecords() {
        return failedRecords.get();
    }

    /** @return records dropped because the queue was full */
    public long droppedRecords() {
        return queue.dropped();
    }

    /** @return batches of records committed so far */
    long transactions() {
        return transactions.get();
    }

    @Override
    public long unstoredRecords() {
        return failedRecords.get() + queue.dropped();
    }

    private void run() {
        List<UsageRecord> batch = new ArrayList<>(RecordQueue.MAX_BATCH);
        importSpool();
        long lastImport = System.nanoTime();
        boolean end = false;
        while (!end) {
            try {
                end = queue.nextBatch(batch, IMPORT_INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
            if (!batch.isEmpty()) {
                boolean full = batch.size() == RecordQueue.MAX_BATCH;
                write(batch);
                batch.clear();
                if (!full && !end && !pause()) {
                    return;
                }
            }
            if (end || System.nanoTime() - lastImport >= IMPORT_INTERVAL.toNanos()) {
                importSpool();
                lastImport = System.nanoTime();
            }
        }
        closeConnection();
    }

    /** @return false when interrupted: the writer stops */
    private static boolean pause() {
        try {
            Thread.sleep(COMMIT_PAUSE);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** @return records imported from the spool so far */
    public long importedRecords() {
        return importedRecords.get();
    }

    private void importSpool() {
        if (!UsageSpool.pending(file)) {
            return;
        }
        try {
            SpoolImport.Result result = SpoolImport.run(file, store());
            importedRecords.addAndGet(result.records());
            if (result.dropped() > 0 || result.unreadable() > 0) {
                LOG.warn("usage spool {}: {} records imported; {} records of stdio requests were dropped because the "
                        + "spool was full (SIDECAR_USAGE_SPOOL_MAX_BYTES), {} unreadable lines skipped",
                        UsageSpool.of(file), result.records(), result.dropped(), result.unreadable());
            }
        } catch (java.io.IOException | SQLException | RuntimeException | LinkageError e) {
            closeConnection();
            logFailure(e); // the spool stays; the next import tries again
        }
    }

    private void write(List<UsageRecord> batch) {
        try {
            Connection store = store();
            store.setAutoCommit(false);
            try (PreparedStatement insert = store.prepareStatement(INSERT)) {
                for (UsageRecord r : batch) {
                    insert.setLong(1, r.timeMs());
                    insert.setString(2, r.user());
                    insert.setString(3, r.endpoint());
                    insert.setString(4, r.action());
                    insert.setString(5, r.model());
                    insert.setLong(6, r.promptTokens());
                    insert.setLong(7, r.completionTokens());
                    insert.setInt(8, r.cached() ? 1 : 0);
                    insert.setString(9, r.code());
                    insert.setLong(10, r.durationMs());
                    insert.addBatch();
                }
                insert.executeBatch();
                store.commit();
                transactions.incrementAndGet();
            } catch (SQLException e) {
                store.rollback();
                throw e;
            }
            purgeWhenDue(store);
        } catch (SQLException | RuntimeException | LinkageError e) { // LinkageError: no native library here
            failedRecords.addAndGet(batch.size());
            closeConnection(); // the next batch opens the store afresh
            logFailure(e);
        }
    }

    private Connection store() throws SQLException {
        if (connection == null) {
            connection = UsageDatabase.open(file, true);
            lastPurgeMs = 0;
        }
        return connection;
    }

    private void purgeWhenDue(Connection store) throws SQLException {
        long now = System.currentTimeMillis();
        if (now - lastPurgeMs < PURGE_INTERVAL_MS) {
            return;
        }
        lastPurgeMs = now;
        store.setAutoCommit(true);
        try (PreparedStatement delete = store.prepareStatement("DELETE FROM usage WHERE time_ms < ?")) {
            delete.setLong(1, now - TimeUnit.DAYS.toMillis(retentionDays));
            delete.executeUpdate();
        }
    }

    private void logFailure(Throwable e) {
        long now = System.nanoTime();
        if (loggedOnce && now - lastLogNanos < LOG_INTERVAL_NANOS) {
            return;
        }
        loggedOnce = true;
        lastLogNanos = now;
        LOG.warn("usage store {} failed ({}); requests are served, their usage is not recorded "
                        + "({} records lost so far, {} dropped); check SIDECAR_USAGE_DB, the disk and its permissions",
                file, e.getMessage(), failedRecords.get(), queue.dropped());
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // closing a broken store: nothing more to lose
            }
            connection = null;
        }
    }
}
