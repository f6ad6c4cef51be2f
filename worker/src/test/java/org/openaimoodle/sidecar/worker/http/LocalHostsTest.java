package org.openaimoodle.sidecar.worker.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class LocalHostsTest {
    final LocalHosts hosts = new LocalHosts("192.168.5.5", List.of("Moodle.Example.org", "::2"));

    @Test
    void loopbackNamesAndAddressesWithOrWithoutPortAreServed() {
        for (String host : List.of("localhost", "LOCALHOST:8081", "localhost.", "127.0.0.1", "127.0.0.1:8081",
                "127.255.1.2", "[::1]", "[::1]:8081")) {
            assertTrue(hosts.allows(List.of(host)), host);
        }
    }

    @Test
    void configuredAndAllowedHostsAreServed() {
        for (String host : List.of("192.168.5.5:8081", "moodle.example.org", "MOODLE.example.org:80", "[::2]:1")) {
            assertTrue(hosts.allows(List.of(host)), host);
        }
    }

    @Test
    void foreignHostsAndLookAlikesAreRefused() {
        for (String host : List.of("evil.example", "localhost.evil.example", "127.0.0.1.evil.example",
                "evil.example:127", "10.0.0.1", "0.0.0.0", "[::ffff:7f00:1]", "", "moodle.example.org.evil")) {
            assertFalse(hosts.allows(List.of(host)), host);
        }
    }

    @Test
    void twoHostHeadersAreRefusedAndNoneIsServed() {
        assertFalse(hosts.allows(List.of("localhost", "evil.example")));
        assertTrue(hosts.allows(List.of()));
    }
}
