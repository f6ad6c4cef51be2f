package org.openaimoodle.sidecar.common.redis;

import java.time.Duration;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;

/**
 * The one way a sidecar process opens Redis ({@code SIDECAR_REDIS_URL}): a small pool with short timeouts, so a
 * request never hangs on an unreachable Redis, and new connections are made by themselves when Redis is back.
 * Only the worker's Redis classes and {@code sidecarctl usage} touch this; stdio mode never loads the client.
 */
public final class RedisConnection {
    /** Longest wait to connect, for one command's answer, and for a free pooled connection. */
    public static final Duration TIMEOUT = Duration.ofMillis(250);
    /** Connections one process holds at most; requests beyond wait up to {@link #TIMEOUT} for one. */
    public static final int MAX_CONNECTIONS = 64;

    private RedisConnection() {
    }

    /**
     * @param address where Redis is
     * @param name    the client name Redis shows in {@code CLIENT LIST} ({@code openai-sidecar-worker})
     * @return a pooled client; it connects on first use
     */
    public static JedisPooled open(RedisAddress address, String name) {
        DefaultJedisClientConfig.Builder client = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis((int) TIMEOUT.toMillis())
                .socketTimeoutMillis((int) TIMEOUT.toMillis())
                .database(address.database())
                .clientName(name)
                .ssl(address.tls());
        if (address.password() != null) {
            client.password(address.password());
            if (address.user() != null) {
                client.user(address.user());
            }
        }
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(MAX_CONNECTIONS);
        pool.setMaxIdle(MAX_CONNECTIONS);
        pool.setMinIdle(0);
        pool.setBlockWhenExhausted(true);
        pool.setMaxWait(TIMEOUT);
        pool.setJmxEnabled(false);
        return new JedisPooled(new HostAndPort(address.host(), address.port()), client.build(), pool);
    }
}
