package org.openaimoodle.sidecar.worker.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.testkit.MetricsText;
import org.openaimoodle.sidecar.worker.usage.UsageRecord;

class PrometheusMetricsTest {
    private long failures = 3;
    private final PrometheusMetrics metrics = new PrometheusMetrics(new LabelValues(List.of(), 20), 4,
            Instant.ofEpochSecond(1_700_000_000L), () -> failures);

    private MetricsText scrape() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.write(out);
        return MetricsText.parse(out.toString(StandardCharsets.UTF_8));
    }

    private static UsageRecord answered(String action, String code, long prompt, long completion, boolean cached,
                                        long ms) {
        return new UsageRecord(0, "user-9", "ai", action, "gpt-4o-mini", prompt, completion, cached, code, ms);
    }

    @Test
    void anAnsweredRequestCountsItsRequestDurationAndTokens() throws Exception {
        metrics.answered(answered("chat", "ok", 10, 5, false, 1200));
        metrics.answered(answered("chat", "ok", 10, 5, false, 30));
        MetricsText text = scrape();
        assertEquals(2, text.value("sidecar_requests_total", "endpoint", "ai", "action", "chat", "code", "ok"));
        assertEquals(20, text.value("sidecar_tokens_total", "kind", "prompt", "model", "gpt-4o-mini"));
        assertEquals(10, text.value("sidecar_tokens_total", "kind", "completion", "model", "gpt-4o-mini"));
        assertEquals(1, text.value("sidecar_request_duration_seconds_bucket", "endpoint", "ai", "action", "chat",
                "le", "0.05"));
        assertEquals(1, text.value("sidecar_request_duration_seconds_bucket", "endpoint", "ai", "action", "chat",
                "le", "1.0"));
        assertEquals(2, text.value("sidecar_request_duration_seconds_bucket", "endpoint", "ai", "action", "chat",
                "le", "2.5"));
        assertEquals(1.23, text.value("sidecar_request_duration_seconds_sum", "endpoint", "ai", "action", "chat"),
                1e-9);
    }

    @Test
    void aCachedReplyCountsAsARequestButNotItsTokens() throws Exception {
        metrics.answered(answered("summarize", "ok", 10, 5, true, 2));
        MetricsText text = scrape();
        assertEquals(1, text.value("sidecar_requests_total", "endpoint", "ai", "action", "summarize", "code", "ok"));
        assertEquals(0, text.value("sidecar_tokens_total", "kind", "prompt", "model", "gpt-4o-mini"));
    }

    @Test
    void aRequestWithoutTokensTakesNoModelLabel() throws Exception {
        metrics.answered(new UsageRecord(0, "u", "v1", "v1", "a-model-the-upstream-refused", 0, 0, false,
                "upstream_error", 5));
        assertTrue(!scrape().text().contains("a-model-the-upstream-refused"));
    }

    @Test
    void attemptsLookupsAndRefusalsAreCountedByTheirLabel() throws Exception {
        metrics.upstreamAttempt(Metrics.Attempt.SERVER_ERROR);
        metrics.upstreamAttempt(Metrics.Attempt.OK);
        metrics.cacheLookup(Metrics.CacheLookup.COALESCED);
        metrics.limitRefused(Metrics.Limit.SITE_TOKENS);
        MetricsText text = scrape();
        assertEquals(1, text.value("sidecar_upstream_attempts_total", "outcome", "server_error"));
        assertEquals(1, text.value("sidecar_upstream_attempts_total", "outcome", "ok"));
        assertEquals(0, text.value("sidecar_upstream_attempts_total", "outcome", "timeout"));
        assertTrue(text.samples().containsKey("sidecar_upstream_attempts_total{outcome=\"timeout\"}"),
                "every outcome is there from the start");
        assertEquals(1, text.value("sidecar_cache_requests_total", "result", "coalesced"));
        assertEquals(1, text.value("sidecar_limit_rejections_total", "limit", "site_tokens"));
    }

    @Test
    void gaugesReadTheirSourceAtEachScrape() throws Exception {
        int[] inFlight = {2};
        metrics.countInFlight(() -> inFlight[0]);
        MetricsText first = scrape();
        assertEquals(2, first.value("sidecar_in_flight_requests"));
        assertEquals(3, first.value("sidecar_usage_write_failures_total"));
        assertEquals(4, first.value("sidecar_worker_restarts_total"));
        assertEquals(1_700_000_000.0, first.value("sidecar_worker_start_time_seconds"));
        inFlight[0] = 0;
        failures = 7;
        MetricsText second = scrape();
        assertEquals(0, second.value("sidecar_in_flight_requests"));
        assertEquals(7, second.value("sidecar_usage_write_failures_total"));
    }

    @Test
    void attemptOutcomesFollowTheStatus() {
        assertEquals(Metrics.Attempt.OK, Metrics.Attempt.ofStatus(200));
        assertEquals(Metrics.Attempt.RATE_LIMITED, Metrics.Attempt.ofStatus(429));
        assertEquals(Metrics.Attempt.SERVER_ERROR, Metrics.Attempt.ofStatus(503));
        assertEquals(Metrics.Attempt.CLIENT_ERROR, Metrics.Attempt.ofStatus(401));
    }
}
