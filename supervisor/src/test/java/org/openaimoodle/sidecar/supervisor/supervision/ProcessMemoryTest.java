package org.openaimoodle.sidecar.supervisor.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcessMemoryTest {
    @Test
    void rssOfALiveProcessIsReadFromProcInKib() {
        Long kb = ProcessMemory.rssKb(ProcessHandle.current().pid());
        assertTrue(kb != null && kb > 1024, "a JVM holds more than 1 MiB: " + kb);
    }

    @Test
    void rssOfAProcessThatDoesNotExistIsUnknown() {
        assertNull(ProcessMemory.rssKb(Long.MAX_VALUE));
    }

    @Test
    void vmRssLineIsParsed() {
        assertEquals(61_234L, ProcessMemory.kb("VmRSS:\t   61234 kB"));
    }
}
