package org.openaimoodle.sidecar.worker.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.openaimoodle.sidecar.worker.usage.UsageRecord;

/**
 * The worker's metrics in one Prometheus registry of its own (not the client's global one), written by
 * {@code GET /metrics} in the Prometheus text format. Names and labels as in README, "Metrics"; every label value
 * goes through {@link LabelValues}. HTTP mode only.
 */
public final class PrometheusMetrics implements Metrics {
    /**
     * Upper bounds of the request duration buckets, seconds: an answer takes from a cached millisecond to the
     * request deadline (SIDECAR_REQUEST_TIMEOUT, 25 s by default).
     */
    static final double[] DURATION_BUCKETS = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final LabelValues labels;
    private final Counter requests;
    private final Histogram durations;
    private final Counter attempts;
    private final Counter tokens;
    private final Counter cache;
    private final Counter rejections;
    private volatile IntSupplier inFlight = () -> 0;
    /**
     * The series of each fixed label value, looked up once: {@code labelValues} validates its arguments and
     * hashes a fresh list on every call, and every request counts at least one upstream attempt.
     */
    private final Map<Attempt, CounterDataPoint> attemptSeries = new EnumMap<>(Attempt.class);
    private final Map<CacheLookup, CounterDataPoint> cacheSeries = new EnumMap<>(CacheLookup.class);
    private final Map<Limit, CounterDataPoint> rejectionSeries = new EnumMap<>(Limit.class);

    /**
     * @param labels             how label values are bounded
     * @param supervisorRestarts how often the supervisor had restarted the worker before it started this one
     * @param started            when this worker process started
     * @param usageWriteFailures usage records not stored so far (failed or dropped)
     */
    public PrometheusMetrics(LabelValues labels, long supervisorRestarts, Instant started,
                             LongSupplier usageWriteFailures) {
        this.labels = labels;
        requests = Counter.builder().name("sidecar_requests_total")
                .help("Answered /ai and /v1 requests").labelNames("endpoint", "action", "code")
                .withoutExemplars().register(registry);
        durations = Histogram.builder().name("sidecar_request_duration_seconds")
                .help("Time from request to reply of /ai and /v1 requests").labelNames("endpoint", "action")
                .classicOnly().classicUpperBounds(DURATION_BUCKETS).withoutExemplars().register(registry);
        attempts = Counter.builder().name("sidecar_upstream_attempts_total")
                .help("Attempts of upstream exchanges, retries included, by how they ended").labelNames("outcome")
                .withoutExemplars().register(registry);
        tokens = Counter.builder().name("sidecar_tokens_total")
                .help("Tokens the upstream counted for replies it produced (cached replies excluded)")
                .labelNames("kind", "model").withoutExemplars().register(registry);
        cache = Counter.builder().name("sidecar_cache_requests_total")
                .help("Requests of cached actions, by what the reply cache did").labelNames("result")
                .withoutExemplars().register(registry);
        rejections = Counter.builder().name("sidecar_limit_rejections_total")
                .help("Requests refused by a usage limit").labelNames("limit")
                .withoutExemplars().register(registry);
        GaugeWithCallback.builder().name("sidecar_in_flight_requests")
                .help("Requests admitted and not yet answered").callback(cb -> cb.call(inFlight.getAsInt()))
                .register(registry);
        CounterWithCallback.builder().name("sidecar_usage_write_failures_total")
                .help("Usage records that could not be stored (store failed, or its queue was full)")
                .callback(cb -> cb.call(usageWriteFailures.getAsLong())).register(registry);
        CounterWithCallback.builder().name("sidecar_worker_restarts_total")
                .help("Worker restarts by the supervisor before this worker started (0 when unsupervised)")
                .callback(cb -> cb.call(supervisorRestarts)).register(registry);
        double startSeconds = started.toEpochMilli() / 1000.0;
        GaugeWithCallback.builder().name("sidecar_worker_start_time_seconds")
                .help("When this worker process started, seconds since the epoch")
                .callback(cb -> cb.call(startSeconds)).register(registry);
        for (Attempt outcome : Attempt.values()) { // every series from the start: rate() needs the zero
            attemptSeries.put(outcome, attempts.labelValues(outcome.label()));
        }
        for (CacheLookup result : CacheLookup.values()) {
            cacheSeries.put(result, cache.labelValues(result.label()));
        }
        for (Limit limit : Limit.values()) {
            rejectionSeries.put(limit, rejections.labelValues(limit.label()));
        }
    }

    /** @param requestsInFlight what {@code sidecar_in_flight_requests} reads (the request gate) */
    public void countInFlight(IntSupplier requestsInFlight) {
        this.inFlight = requestsInFlight;
    }

    @Override
    public void answered(UsageRecord request) {
        String endpoint = labels.endpoint(request.endpoint());
        String action = labels.action(request.action());
        requests.labelValues(endpoint, action, labels.code(request.code())).inc();
        durations.labelValues(endpoint, action).observe(request.durationMs() / 1000.0);
        if (!request.cached() && request.promptTokens() + request.completionTokens() > 0) {
            String model = labels.model(request.model());
            tokens.labelValues("prompt", model).inc(request.promptTokens());
            tokens.labelValues("completion", model).inc(request.completionTokens());
        }
    }

    @Override
    public void upstreamAttempt(Attempt outcome) {
        attemptSeries.get(outcome).inc();
    }

    @Override
    public void cacheLookup(CacheLookup result) {
        cacheSeries.get(result).inc();
    }

    @Override
    public void limitRefused(Limit limit) {
        rejectionSeries.get(limit).inc();
    }

    /** @return the media type of what {@link #write} writes */
    public String contentType() {
        return writer.getContentType();
    }

    /**
     * @param out where the current values go, in the Prometheus text format
     * @throws IOException when {@code out} fails
     */
    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }
}
