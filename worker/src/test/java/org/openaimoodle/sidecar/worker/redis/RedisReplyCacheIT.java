package org.openaimoodle.sidecar.worker.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.redis.RedisAddress;
import org.openaimoodle.sidecar.common.redis.RedisConnection;
import org.openaimoodle.sidecar.testkit.RedisServerUnderTest;
import org.openaimoodle.sidecar.worker.cache.CacheKey;
import org.openaimoodle.sidecar.worker.cache.ReplyCache;
import org.openaimoodle.sidecar.worker.cache.ReplyCodec;
import org.openaimoodle.sidecar.worker.cache.Served;
import redis.clients.jedis.JedisPooled;

/**
 * The shared reply cache against a real redis-server, two "nodes" in one JVM (two caches, each with its own
 * local cache, on one Redis): what is stored, for how long, what is not, and Redis failing under it.
 */
class RedisReplyCacheIT {
    record Text(String value) implements ReplyCache.Sized {
        @Override
        public long bytes() {
            return 2L * value.length();
        }
    }

    static final ReplyCodec<Text> CODEC = new ReplyCodec<>() {
        @Override
        public byte[] encode(Text reply) {
            return ReplyCodec.bytes(out -> ReplyCodec.writeText(out, reply.value()));
        }

        @Override
        public Text decode(byte[] bytes) throws IOException {
            return new Text(ReplyCodec.readText(ReplyCodec.reader(bytes)));
        }
    };

    @TempDir
    Path dir;

    private RedisServerUnderTest redis;
    private JedisPooled client;
    private RedisOutage outage;
    private final AtomicInteger calls = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        redis = RedisServerUnderTest.start(dir.resolve("redis"));
        client = RedisConnection.open(RedisAddress.parse(redis.url()), "test");
        outage = new RedisOutage("redis://127.0.0.1:" + redis.port() + "/0", false);
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        redis.close();
    }

    private RedisReplyCache node() {
        return new RedisReplyCache(client, "t:", Duration.ofMinutes(5), new ReplyCache(Duration.ofMinutes(5), 100,
                1 << 24), outage);
    }

    private Served<Text> get(RedisReplyCache cache, CacheKey key, String reply, boolean keep) throws Exception {
        return cache.get(key, CODEC, () -> {
            calls.incrementAndGet();
            return new Text(reply);
        }, text -> keep);
    }

    private static CacheKey key(String text) {
        return CacheKey.of("test").text(text).build();
    }

    @Test
    void aKeptReplyIsSharedWithAnotherNodeForTheTtl() throws Exception {
        Served<Text> first = get(node(), key("page"), "summary", true);
        Served<Text> second = get(node(), key("page"), "other summary", true);
        assertFalse(first.cached());
        assertTrue(second.cached());
        assertEquals("summary", second.value().value());
        assertEquals(1, calls.get());
        long ttl = Long.parseLong(redis.command("PTTL", "t:cache:" + key("page").hex()).substring(1));
        assertTrue(ttl > Duration.ofMinutes(4).toMillis() && ttl <= Duration.ofMinutes(5).toMillis(), "PTTL " + ttl);
    }

    @Test
    void failuresAndRepliesOverTheBoundStayOutOfRedis() throws Exception {
        get(node(), key("failing"), "an error", false);
        assertEquals(":0", redis.command("EXISTS", "t:cache:" + key("failing").hex()));
        String large = "x".repeat(RedisReplyCache.MAX_VALUE_BYTES);
        Served<Text> served = get(node(), key("large"), large, true);
        assertEquals(large, served.value().value());
        assertEquals(":0", redis.command("EXISTS", "t:cache:" + key("large").hex()));
        get(node(), key("large"), large, true);
        assertEquals(3, calls.get(), "each node paid for the large reply itself");
    }

    @Test
    void aDamagedValueIsTreatedAsAbsentAndReplaced() throws Exception {
        client.set(("t:cache:" + key("page").hex()).getBytes(StandardCharsets.UTF_8), new byte[] {0, 0, 0, 9, 1});
        assertEquals("fresh", get(node(), key("page"), "fresh", true).value().value());
        assertEquals("fresh", get(node(), key("page"), "unused", true).value().value());
        assertEquals(1, calls.get());
    }

    @Test
    void redisKilledCostsOnlyTheSharingAndSharingComesBackWithRedis() throws Exception {
        redis.kill();
        Served<Text> served = get(node(), key("page"), "summary", true);
        assertEquals("summary", served.value().value());
        assertTrue(outage.failures() >= 1);
        redis.restart();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            get(node(), key("again"), "summary", true);
            return redis.command("EXISTS", "t:cache:" + key("again").hex()).equals(":1");
        });
    }
}
