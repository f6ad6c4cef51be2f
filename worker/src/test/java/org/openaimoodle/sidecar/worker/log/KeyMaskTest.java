package org.openaimoodle.sidecar.worker.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class KeyMaskTest {
    private static final String KEY = "sk-test-FAKE1234567890abcd";

    @Test
    void keyShowsOnlyPrefixAndLastFour() {
        assertEquals("sk-…abcd", KeyMask.mask(KEY));
        assertEquals("…wxyz", KeyMask.mask("abcdefghijklmnopqrstuvwxyz"));
    }

    @Test
    void shortKeysShowNothing() {
        assertEquals("…", KeyMask.mask("sk-short"));
        assertEquals("none", KeyMask.mask(null));
    }

    @Test
    void scrubReplacesEveryOccurrence() {
        String scrubbed = KeyMask.scrub("Incorrect API key provided: " + KEY + " (" + KEY + ")", KEY);
        assertFalse(scrubbed.contains(KEY));
        assertEquals("Incorrect API key provided: sk-…abcd (sk-…abcd)", scrubbed);
    }
}
