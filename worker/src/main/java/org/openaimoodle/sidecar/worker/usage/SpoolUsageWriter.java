package org.openaimoodle.sidecar.worker.usage;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import org.openaimoodle.sidecar.common.usage.UsageSpool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The usage recorder of stdio mode: appends each record to the spool beside the store ({@link UsageSpool}) on the
 * calling thread, after the reply is out, and never opens SQLite (its driver and the store's open would cost the
 * round trip more than its request). The HTTP worker and {@code sidecarctl usage} import the spool. A full spool
 * (SIDECAR_USAGE_SPOOL_MAX_BYTES) drops the record and counts it; a spool that cannot be written loses it; each is
 * logged once per process.
 */
public final class SpoolUsageWriter implements UsageRecorder {
    private static final Logger LOG = LoggerFactory.getLogger("usage");

    private final Path db;
    private final long maxBytes;
    private boolean loggedFull;
    private boolean loggedFailure;
    private long dropped;
    private long failed;

    /**
     * @param db       the usage store (SIDECAR_USAGE_DB); the spool is {@code <db>.spool}
     * @param maxBytes the spool's bound (SIDECAR_USAGE_SPOOL_MAX_BYTES)
     */
    public SpoolUsageWriter(Path db, long maxBytes) {
        this.db = db;
        this.maxBytes = maxBytes;
    }

    @Override
    public synchronized void record(UsageRecord r) {
        byte[] line = UsageSpool.line(r.timeMs(), r.user(), r.endpoint(), r.action(), r.model(), r.promptTokens(),
                r.completionTokens(), r.cached(), r.code(), r.durationMs());
        try {
            if (UsageSpool.append(db, line, maxBytes) == UsageSpool.Appended.DROPPED) {
                dropped++;
                if (!loggedFull) {
                    loggedFull = true;
                    LOG.warn("usage store {}: its spool {} is full ({} bytes, SIDECAR_USAGE_SPOOL_MAX_BYTES): this "
                            + "request's usage is dropped and counted; the HTTP worker or `sidecarctl usage` empties "
                            + "the spool", db, UsageSpool.of(db), maxBytes);
                }
            }
        } catch (IOException | RuntimeException e) {
            failed++;
            if (!loggedFailure) {
                loggedFailure = true;
                LOG.warn("usage store {}: its spool {} cannot be written ({}); the request was served, its usage is "
                        + "not recorded; check SIDECAR_USAGE_DB, the disk and its permissions", db, UsageSpool.of(db),
                        e.toString());
            }
        }
    }

    @Override
    public void close(Duration bound) {
        // every record was written when it was recorded
    }

    /** @return records dropped by this process because the spool was full */
    public synchronized long droppedRecords() {
        return dropped;
    }

    /** @return records this process could not write */
    public synchronized long failedRecords() {
        return failed;
    }
}
