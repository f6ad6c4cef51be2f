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
     * @return the report's rows over every node's records (arguments as {@link UsageReport#rows})
     * @throws SQLException when Redis cannot be read or the temporary store written; the message names Redis's
     *                      address, never its password
     */
    public static List<UsageReport.Row> rows(String url, String prefix, UsageReport.By by, Instant since,
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
            return UsageReport.rows(store, by, since, until, user, top, prices);
        } catch (JedisException e) {
            throw unreachable(address, e);
        } finally {
            delete(dir);
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
