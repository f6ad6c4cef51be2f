package org.openaimoodle.sidecar.common.redis;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XTrimParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The usage records of every sidecar of a site, in one Redis stream ({@code <prefix>usage}): the worker appends
 * (off the request path), {@code sidecarctl usage} on any node reads the whole site, {@code usage forget} deletes
 * one user's records for every node at once. One entry per record, its fields those of the SQLite store's table.
 * The stream is trimmed to the retention by entry id (Redis's clock, milliseconds) whenever records are added.
 */
public final class RedisUsageLog {
    /** The stream's key after the prefix. */
    public static final String STREAM = "usage";
    /** Entries read per XRANGE call: a report of a big site is many short calls, never one huge answer. */
    static final int PAGE = 1000;
    /** How far an entry id (Redis's clock) may be from the record's own time (the node's clock), at most. */
    private static final long CLOCK_SLACK_MS = TimeUnit.MINUTES.toMillis(5);
    private static final String[] COLUMNS = {"time_ms", "user", "endpoint", "action", "model", "prompt_tokens",
            "completion_tokens", "cached", "code", "duration_ms"};
    private static final String INSERT = "INSERT INTO usage (" + String.join(", ", COLUMNS)
            + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private final UnifiedJedis redis;
    private final String key;

    /**
     * @param redis  the client
     * @param prefix SIDECAR_REDIS_PREFIX
     */
    public RedisUsageLog(UnifiedJedis redis, String prefix) {
        this.redis = redis;
        this.key = prefix + STREAM;
    }

    /**
     * One record as stream fields.
     *
     * @return the fields, named like the store's columns
     */
    public static Map<String, String> fields(long timeMs, String user, String endpoint, String action, String model,
                                             long promptTokens, long completionTokens, boolean cached, String code,
                                             long durationMs) {
        return Map.of("time_ms", Long.toString(timeMs), "user", user, "endpoint", endpoint, "action", action,
                "model", model, "prompt_tokens", Long.toString(promptTokens), "completion_tokens",
                Long.toString(completionTokens), "cached", cached ? "1" : "0", "code", code, "duration_ms",
                Long.toString(durationMs));
    }

    /**
     * Appends records in one round trip and drops the entries older than the retention.
     *
     * @param records       the records' fields ({@link #fields})
     * @param retentionDays SIDECAR_USAGE_RETENTION_DAYS
     */
    public void append(List<Map<String, String>> records, int retentionDays) {
        long oldest = System.currentTimeMillis() - TimeUnit.DAYS.toMillis(retentionDays);
        try (AbstractPipeline pipeline = redis.pipelined()) {
            for (Map<String, String> record : records) {
                pipeline.xadd(key, XAddParams.xAddParams(), record);
            }
            pipeline.xtrim(key, XTrimParams.xTrimParams().minId(oldest + "-0").approximateTrimming());
            pipeline.sync();
        }
    }

    /**
     * Copies the records of {@code [sinceMs, untilMs)} into a usage table, so that the report's one query serves the
     * site's records as it serves a node's.
     *
     * @param store   an open store with the usage table (a temporary one)
     * @param sinceMs first time included
     * @param untilMs first time excluded
     * @return how many records were copied
     * @throws SQLException when the store cannot be written
     */
    public long copyInto(Connection store, long sinceMs, long untilMs) throws SQLException {
        long copied = 0;
        store.setAutoCommit(false);
        try (PreparedStatement insert = store.prepareStatement(INSERT)) {
            String start = Math.max(0, sinceMs - CLOCK_SLACK_MS) + "-0";
            String end = (untilMs > Long.MAX_VALUE - CLOCK_SLACK_MS ? Long.MAX_VALUE : untilMs + CLOCK_SLACK_MS)
                    + "-0";
            List<StreamEntry> page;
            do {
                page = redis.xrange(key, start, end, PAGE);
                for (StreamEntry entry : page) {
                    Map<String, String> f = entry.getFields();
                    long time = number(f.get("time_ms"));
                    if (time < sinceMs || time >= untilMs) {
                        continue;
                    }
                    insert.setLong(1, time);
                    insert.setString(2, text(f.get("user")));
                    insert.setString(3, text(f.get("endpoint")));
                    insert.setString(4, text(f.get("action")));
                    insert.setString(5, text(f.get("model")));
                    insert.setLong(6, number(f.get("prompt_tokens")));
                    insert.setLong(7, number(f.get("completion_tokens")));
                    insert.setInt(8, "1".equals(f.get("cached")) ? 1 : 0);
                    insert.setString(9, text(f.get("code")));
                    insert.setLong(10, number(f.get("duration_ms")));
                    insert.addBatch();
                    copied++;
                }
                insert.executeBatch();
                if (!page.isEmpty()) {
                    start = "(" + page.get(page.size() - 1).getID();
                }
            } while (page.size() == PAGE);
            store.commit();
        }
        return copied;
    }

    /**
     * Deletes every record of one user, whichever node wrote it.
     *
     * @param user the user
     * @return how many records were deleted
     */
    public long forget(String user) {
        long deleted = 0;
        String start = "-";
        List<StreamEntry> page;
        do {
            page = redis.xrange(key, start, "+", PAGE);
            List<StreamEntryID> ids = new ArrayList<>();
            for (StreamEntry entry : page) {
                if (user.equals(entry.getFields().get("user"))) {
                    ids.add(entry.getID());
                }
            }
            if (!ids.isEmpty()) {
                deleted += redis.xdel(key, ids.toArray(StreamEntryID[]::new));
            }
            if (!page.isEmpty()) {
                start = "(" + page.get(page.size() - 1).getID();
            }
        } while (page.size() == PAGE);
        return deleted;
    }

    private static String text(String value) {
        return value == null ? "-" : value;
    }

    private static long number(String value) {
        try {
            return value == null ? 0 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
