package org.openaimoodle.sidecar.worker.redis;

import io.github.bucket4j.TimeMeter;
import org.openaimoodle.sidecar.common.redis.RedisAddress;
import org.openaimoodle.sidecar.common.redis.RedisConnection;
import org.openaimoodle.sidecar.common.redis.RedisUsageLog;
import org.openaimoodle.sidecar.worker.cache.ReplyCache;
import org.openaimoodle.sidecar.worker.config.WorkerConfig;
import org.openaimoodle.sidecar.worker.limits.CostControl;
import org.openaimoodle.sidecar.worker.limits.LocalCostControl;
import org.openaimoodle.sidecar.worker.metrics.Metrics;
import org.openaimoodle.sidecar.worker.limits.UsageLimits;
import org.openaimoodle.sidecar.worker.usage.UsageRecorder;

/**
 * This HTTP worker as one node of a site sharing Redis (SIDECAR_REDIS_URL): one client and one outage count for
 * its limits, cache and usage records. Only HTTP mode with the URL set touches this class, so stdio mode and a
 * worker without Redis never load the Redis client.
 */
public final class RedisNode {
    private static RedisNode current;

    private final WorkerConfig config;
    private final redis.clients.jedis.JedisPooled redis;
    private final RedisOutage outage;

    private RedisNode(WorkerConfig config) {
        RedisAddress address = RedisAddress.parse(config.redisUrl().orElseThrow());
        this.config = config;
        this.redis = RedisConnection.open(address, "openai-sidecar-worker");
        this.outage = new RedisOutage(address.toString(), config.limitsFailClosed());
    }

    /**
     * @param config a configuration with SIDECAR_REDIS_URL set
     * @return this process's node (one client per process), made on first use
     */
    public static synchronized RedisNode of(WorkerConfig config) {
        if (current == null || current.config != config) {
            current = new RedisNode(config);
        }
        return current;
    }

    /**
     * @param metrics where limit refusals and this node's cache lookups are counted (a reply fetched from Redis
     *                counts as a miss of this node's own cache)
     * @return the limits and cache on Redis; {@link CostControl#NONE} when neither is configured
     */
    public CostControl costControl(Metrics metrics) {
        UsageLimits limits = new UsageLimits(config.limitUserRequests(), config.limitUserTokens(),
                config.limitSiteRequests(), config.limitSiteTokens(), TimeMeter.SYSTEM_MILLISECONDS,
                new RedisBuckets(redis, config.redisPrefix()), metrics);
        ReplyCache local = LocalCostControl.replyCache(config, metrics);
        if (!limits.any() && local == null) {
            return CostControl.NONE;
        }
        RedisReplyCache shared = local == null ? null
                : new RedisReplyCache(redis, config.redisPrefix(), config.cacheTtl(), local, outage);
        return new RedisCostControl(limits.any() ? limits : null, shared, config.cacheActions(), outage,
                config.limitsFailClosed(), config.requestTimeout());
    }

    /** @return the recorder that appends to the site's usage stream */
    public UsageRecorder usageRecorder() {
        return new RedisUsageWriter(new RedisUsageLog(redis, config.redisPrefix()), config.usageRetentionDays(),
                outage);
    }

    /** @return Redis calls that failed since the start, for the limits, the cache and the usage records together */
    public long failures() {
        return outage.failures();
    }
}
