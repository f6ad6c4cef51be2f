package org.openaimoodle.sidecar.worker.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.serialization.Mapper;
import io.github.bucket4j.redis.jedis.Bucket4jJedis;
import org.openaimoodle.sidecar.worker.limits.LimitSpec;
import org.openaimoodle.sidecar.worker.limits.UsageLimits;
import redis.clients.jedis.UnifiedJedis;

/**
 * The limits' buckets in Redis, through Bucket4j's Redis integration (compare-and-swap on one key per bucket), so
 * that every node of the site draws from the same buckets with the same arithmetic as the local ones. A bucket's
 * key is {@code <prefix>limit:<N>/<seconds>s:<name>}: a changed limit starts a new bucket instead of reading the
 * old one's state. A key expires once its bucket would be full again (plus a minute), so idle users leave nothing
 * behind. Long user ids are hashed, so a key stays short whatever the client sends.
 */
final class RedisBuckets implements UsageLimits.Buckets {
    /** Names longer than this are replaced by their SHA-256. */
    static final int MAX_NAME = 128;
    private static final Duration EXPIRY_MARGIN = Duration.ofMinutes(1);

    private final ProxyManager<String> proxies;
    private final String prefix;

    /**
     * @param redis  the client
     * @param prefix SIDECAR_REDIS_PREFIX
     */
    RedisBuckets(UnifiedJedis redis, String prefix) {
        this.proxies = Bucket4jJedis.casBasedBuilder(redis)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(EXPIRY_MARGIN))
                .keyMapper(Mapper.STRING)
                .build();
        this.prefix = prefix;
    }

    @Override
    public Bucket bucket(String name, LimitSpec spec, TimeMeter clock) {
        BucketConfiguration configuration = BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(spec.amount()).refillGreedy(spec.amount(), spec.period()))
                .build();
        return proxies.builder().build(key(prefix, name, spec), () -> configuration);
    }

    static String key(String prefix, String name, LimitSpec spec) {
        return prefix + "limit:" + spec.amount() + "/" + spec.period().toSeconds() + "s:" + shortened(name);
    }

    private static String shortened(String name) {
        if (name.length() <= MAX_NAME) {
            return name;
        }
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(name.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
