package org.openaimoodle.sidecar.supervisor.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.MetricsText;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;
import org.openaimoodle.sidecar.testkit.TestKeys;

/** The supervisor's restart count and the worker's start time reach the worker's {@code GET /metrics}. */
class WorkerMetricsIT {
    /** JVM start of supervisor and worker on a busy 2-core machine. */
    private static final Duration FIRST_HEALTHY = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private SidecarUnderTest sidecar;

    @AfterEach
    void killEverything() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    @Test
    void aWorkerRestartedAfterKill9ShowsOneRestartAndItsOwnStartTime() throws IOException {
        sidecar = new SidecarUnderTest(dir).withFakeKey(TestKeys.UNUSED_BASE_URL);
        sidecar.runInForeground();
        long first = await().atMost(FIRST_HEALTHY).pollInterval(Duration.ofMillis(100))
                .until(sidecar::healthyWorkerPid, Optional::isPresent).get();
        MetricsText before = MetricsText.scrape(sidecar.baseUrl());
        assertEquals(0, before.value("sidecar_worker_restarts_total"), before.text());
        double firstStarted = before.value("sidecar_worker_start_time_seconds");
        double now = System.currentTimeMillis() / 1000.0;
        assertTrue(firstStarted > now - FIRST_HEALTHY.toSeconds() - 5 && firstStarted <= now, before.text());

        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        await().atMost(FIRST_HEALTHY).pollInterval(Duration.ofMillis(50))
                .until(() -> sidecar.healthyWorkerPid().filter(pid -> pid != first).isPresent());

        MetricsText after = MetricsText.scrape(sidecar.baseUrl());
        assertEquals(1, after.value("sidecar_worker_restarts_total"), after.text());
        assertTrue(after.value("sidecar_worker_start_time_seconds") > firstStarted, after.text());
    }
}
