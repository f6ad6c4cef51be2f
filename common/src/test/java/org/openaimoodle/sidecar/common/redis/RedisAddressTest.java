package org.openaimoodle.sidecar.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RedisAddressTest {
    @Test
    void aPlainUrlTakesTheDefaultPortAndDatabase() {
        RedisAddress address = RedisAddress.parse("redis://redis.internal");
        assertEquals(new RedisAddress("redis.internal", 6379, null, null, 0, false), address);
        assertEquals("redis://redis.internal:6379/0", address.toString());
    }

    @Test
    void passwordUserDatabaseAndTlsAreRead() {
        RedisAddress address = RedisAddress.parse("rediss://sidecar:fake%40pass@10.0.0.5:6380/3");
        assertEquals("sidecar", address.user());
        assertEquals("fake@pass", address.password());
        assertEquals(6380, address.port());
        assertEquals(3, address.database());
        assertTrue(address.tls());
        RedisAddress passwordOnly = RedisAddress.parse("redis://:fake-pass@host:1/");
        assertNull(passwordOnly.user());
        assertEquals("fake-pass", passwordOnly.password());
    }

    @Test
    void toStringNeverShowsThePassword() {
        assertFalse(RedisAddress.parse("redis://:fake-redis-password-0042@host").toString().contains("fake"));
    }

    @Test
    void malformedUrlsAreRefusedWithoutRepeatingThem() {
        for (String url : new String[] {"http://host", "redis://", "redis://host/db1", "redis://host/-1", "host:6379",
                "redis://:fake-secret@host/x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RedisAddress.parse(url),
                    url);
            assertFalse(e.getMessage().contains("fake-secret"), e.getMessage());
        }
    }
}
