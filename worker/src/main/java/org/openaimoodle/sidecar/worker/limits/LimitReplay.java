package org.openaimoodle.sidecar.worker.limits;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;

import org.openaimoodle.sidecar.common.usage.UsageDatabase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits that survive a restart without Redis: at worker start, the records of the last limit window are read
 * from the usage store, oldest first, and replayed into the buckets ({@link UsageLimits#replay}). Only what the
 * limits counted when it was served: /ai and /v1 records (stdio has no limits) that were admitted (code
 * {@code ok} or an upstream failure; refusals, bad requests and a full worker were never counted). At most
 * {@link #MAX_RECORDS}, the newest. A store that cannot be read starts the limits empty, with a warning: a
 * broken store must not keep the worker from serving.
 */
final class LimitReplay {
    private static final Logger LOG = LoggerFactory.getLogger("limits");
    /**
     * Records replayed at most, the newest: a million took 27 s of start-up on this (loaded, 2-core) machine with
     * the launcher's flags, too long for a worker the supervisor waits for; see BENCHMARKS.md.
     */
    static final int MAX_RECORDS = 100_000;
    private static final String WHERE = " FROM usage WHERE time_ms >= ? AND endpoint IN ('ai', 'v1')"
            + " AND (code = 'ok' OR code LIKE 'upstream\\_%' ESCAPE '\\')";

    private LimitReplay() {
    }

    /**
     * @param limits the fresh limits
     * @param db     the usage store (SIDECAR_USAGE_DB); nothing happens when it does not exist yet
     */
    static void replay(UsageLimits limits, Path db) {
        Duration window = limits.window();
        if (!limits.any() || window.isZero() || !Files.exists(db)) {
            return;
        }
        long nowMs = System.currentTimeMillis();
        long start = System.nanoTime();
        try (Connection store = UsageDatabase.open(db, false)) {
            long since = nowMs - window.toMillis();
            try (PreparedStatement newest = store.prepareStatement("SELECT time_ms" + WHERE
                    + " ORDER BY time_ms DESC LIMIT 1 OFFSET ?")) {
                newest.setLong(1, since);
                newest.setInt(2, MAX_RECORDS - 1);
                try (ResultSet row = newest.executeQuery()) {
                    if (row.next()) {
                        since = Math.max(since, row.getLong(1)); // more than the bound: the newest only
                    }
                }
            }
            try (PreparedStatement query = store.prepareStatement("SELECT time_ms, user, "
                    + "CASE WHEN cached = 0 THEN prompt_tokens + completion_tokens ELSE 0 END" + WHERE
                    + " ORDER BY time_ms LIMIT ?")) {
                query.setLong(1, since);
                query.setInt(2, MAX_RECORDS);
                try (ResultSet rows = query.executeQuery()) {
                    long replayed = limits.replay(() -> records(rows, nowMs));
                    LOG.info("replayed {} usage records of the last {} from {} in {} ms", replayed,
                            LimitSpec.shownPeriod(window), db,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                }
            }
        } catch (SQLException | RuntimeException | LinkageError e) {
            LOG.warn("cannot read the usage store {} ({}); the limits start with full buckets", db,
                    e.getMessage());
        }
    }

    private static Iterator<UsageLimits.Past> records(ResultSet rows, long nowMs) {
        return new Iterator<>() {
            private Boolean ahead;

            @Override
            public boolean hasNext() {
                if (ahead == null) {
                    try {
                        ahead = rows.next();
                    } catch (SQLException e) {
                        throw new IllegalStateException(e.getMessage(), e);
                    }
                }
                return ahead;
            }

            @Override
            public UsageLimits.Past next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                ahead = null;
                try {
                    return new UsageLimits.Past(TimeUnit.MILLISECONDS.toNanos(nowMs - rows.getLong(1)),
                            rows.getString(2), rows.getLong(3));
                } catch (SQLException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }
        };
    }
}
