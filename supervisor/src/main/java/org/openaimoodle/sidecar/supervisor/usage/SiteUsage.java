package org.openaimoodle.sidecar.supervisor.usage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.openaimoodle.sidecar.common.redis.RedisAddress;
import org.openaimoodle.sidecar.common.redis.RedisConnection;
import org.openaimoodle.sidecar.common.redis.RedisUsageLog;
import org.openaimoodle.sidecar.common.usage.UsageDatabase;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The usage of the whole site, as every node's worker appends it to Redis (SIDECAR_REDIS_URL): the records of the
 * period are copied into a temporary store and reported by {@link UsageReport}'s one query, so the site's report
 * reads exactly like a node's. Only {@code sidecarctl usage} and {@code usage forget} with the URL set load this
 * class and the Redis client.
 */
public final class SiteUsage {
    private SiteUsage() {
    }

    /**
     * @param url    SIDECAR_REDIS_URL
     * @param prefix SIDECAR_REDIS_PREFIX
     * @param local  this node's own store (SIDECAR_USAGE_DB): the records that never went to Redis — its stdio
     *               requests (stdio mode writes to the spool beside it, imported before the report) and whatever it
     *               recorded before it had Redis; skipped when it does not exist
     * @return the report's rows over every node's records in Redis and this node's own (arguments as
     *         {@link UsageReport#rows})
     * @throws SQLException when Redis cannot be read or the temporary store written; the message names Redis's
     *                      address, never its password
     */
    public static List<UsageReport.Row> rows(String url, String prefix, Path local, UsageReport.By by, Instant since,
                                             Instant until, Optional<String> user, int top, Prices prices)
            throws SQLException {
        RedisAddress address = RedisAddress.parse(url);
        Path dir;
        try {
            dir = Files.createTempDirectory("sidecar-usage-");
        } catch (IOException e) {
            throw new SQLException("cannot make a temporary directory for the site's records: " + e.getMessage(), e);
        }
        try (JedisPooled redis = RedisConnection.open(address, "openai-sidecar-usage");
             Connection store = UsageDatabase.open(dir.resolve("site.db"), true)) {
            new RedisUsageLog(redis, prefix).copyInto(store, since.toEpochMilli(), until.toEpochMilli());
            store.setAutoCommit(true);
            if (Files.exists(local)) {
                copyLocal(store, local, since, until);
            }
            return UsageReport.rows(store, by, since, until, user, top, prices);
        } catch (JedisException e) {
            throw unreachable(address, e);
        } finally {
            delete(dir);
        }
    }

    private static void copyLocal(Connection store, Path local, Instant since, Instant until) throws SQLException {
        try (var statement = store.createStatement()) {
            statement.execute("ATTACH DATABASE '" + local.toAbsolutePath().toString().replace("'", "''") + "' AS node");
        }
        try (var copy = store.prepareStatement("INSERT INTO usage SELECT time_ms, user, endpoint, action, model, "
                + "prompt_tokens, completion_tokens, cached, code, duration_ms FROM node.usage "
                + "WHERE time_ms >= ? AND time_ms < ?")) {
            copy.setLong(1, since.toEpochMilli());
            copy.setLong(2, until.toEpochMilli());
            copy.executeUpdate();
        } finally {
            try (var statement = store.createStatement()) {
                statement.execute("DETACH DATABASE node");
            }
        }
    }

    /**
     * @param url    SIDECAR_REDIS_URL
     * @param prefix SIDECAR_REDIS_PREFIX
     * @param user   the user whose records go, on every node
     * @return how many records were deleted from Redis
     * @throws SQLException when Redis cannot be written
     */
    public static long forget(String url, String prefix, String user) throws SQLException {
        RedisAddress address = RedisAddress.parse(url);
        try (JedisPooled redis = RedisConnection.open(address, "openai-sidecar-usage")) {
            return new RedisUsageLog(redis, prefix).forget(user);
        } catch (JedisException e) {
            throw unreachable(address, e);
        }
    }

    private static SQLException unreachable(RedisAddress address, JedisException e) {
        return new SQLException("Redis at " + address + " failed (" + e.getClass().getSimpleName() + ": "
                + e.getMessage() + "); check SIDECAR_REDIS_URL and that Redis runs");
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind: the system's tmp cleaning takes it
        }
    }
}
