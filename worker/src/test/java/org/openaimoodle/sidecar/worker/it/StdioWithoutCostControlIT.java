package org.openaimoodle.sidecar.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.Ports;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.TestKeys;

/**
 * stdio mode answers one request per process, so limits and the cache mean nothing there: with every limit set it
 * serves two requests of one user against a limit of one, and never loads Bucket4j, Caffeine or the Prometheus
 * client (cold start), nor the Redis client when SIDECAR_REDIS_URL is set (nothing listens at that URL: stdio must
 * not even try it).
 */
class StdioWithoutCostControlIT {
    @TempDir
    Path dir;

    @Test
    void stdioModeIgnoresLimitsAndLoadsNeitherBucket4jNorCaffeineNorTheRedisClient() throws Exception {
        Path classes = dir.resolve("classes.log");
        try (FakeUpstream upstream = FakeUpstream.start()) {
            Map<String, String> env = new java.util.HashMap<>(ProcessRun.baseEnvironment());
            env.put("OPENAI_API_KEY", TestKeys.API_KEY);
            env.put("OPENAI_BASE_URL", upstream.baseUrl());
            env.put("SIDECAR_LIMIT_USER_REQUESTS", "1/1h");
            env.put("SIDECAR_LIMIT_SITE_TOKENS", "1/1h");
            env.put("SIDECAR_REDIS_URL", "redis://:fake-redis-password-0042@127.0.0.1:" + Ports.free() + "/0");
            env.put("SIDECAR_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes); // after the launcher's -Xlog:disable
            String line = "{\"action\":\"summarize\",\"content\":\"a page\",\"user_id\":5}\n";
            ProcessRun.Finished run = ProcessRun.run(List.of(Checkout.WORKER_LAUNCHER.toString()), env, dir,
                    line + line, Duration.ofSeconds(60));
            assertEquals(0, run.exitCode(), run.toString());
            assertEquals(2, run.stdout().lines().filter(l -> l.contains("\"success\":true")).count(), run.toString());
            assertEquals(2, upstream.received().size());
        }
        String loaded = Files.readString(classes);
        assertTrue(loaded.contains("org.openaimoodle.sidecar.worker.action.ActionService"), "class log is empty");
        assertFalse(loaded.contains("io.github.bucket4j"), "stdio mode loaded Bucket4j");
        assertFalse(loaded.contains("com.github.benmanes.caffeine"), "stdio mode loaded Caffeine");
        assertFalse(loaded.contains("org.openaimoodle.sidecar.worker.limits.LocalCostControl"));
        assertFalse(loaded.contains("redis.clients."), "stdio mode loaded the Redis client");
        assertFalse(loaded.contains("org.openaimoodle.sidecar.worker.redis."), "stdio mode loaded the Redis node");
        assertFalse(loaded.contains("io.prometheus"), "stdio mode loaded the Prometheus client");
        assertFalse(loaded.contains("org.openaimoodle.sidecar.worker.metrics.PrometheusMetrics"));
    }
}
