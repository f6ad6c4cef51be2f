package org.openaimoodle.sidecar.worker.metrics;

import java.util.Locale;

import org.openaimoodle.sidecar.worker.usage.UsageRecord;

/**
 * What the worker counts, as the places that count see it (README, "Metrics"). HTTP mode passes
 * {@link PrometheusMetrics} to the upstream client, the cache and the limits; stdio mode passes {@link #NONE}, so it
 * never loads the Prometheus client. Every method returns at once and never throws.
 */
public interface Metrics {
    /** Counts nothing (stdio mode, tests). */
    Metrics NONE = new Metrics() {
    };

    /** How one upstream attempt ended (label {@code outcome} of {@code sidecar_upstream_attempts_total}). */
    enum Attempt {
        /** A 2xx answer. */
        OK,
        /** HTTP 429. */
        RATE_LIMITED,
        /** HTTP 5xx. */
        SERVER_ERROR,
        /** Any other status (4xx: a bad key, a bad request). */
        CLIENT_ERROR,
        /** No connection, or it broke before the deadline. */
        UNREACHABLE,
        /** The request's deadline ended the attempt. */
        TIMEOUT,
        /** The answer was larger than SIDECAR_MAX_UPSTREAM_REPLY_BYTES. */
        TOO_LARGE,
        /** The memory budget had no room for the answer. */
        NO_MEMORY;

        private final String label = name().toLowerCase(Locale.ROOT);

        /** @return the label value */
        public String label() {
            return label;
        }

        /** @return the outcome of an attempt the upstream answered with {@code status} */
        public static Attempt ofStatus(int status) {
            if (status >= 200 && status < 300) {
                return OK;
            }
            if (status == 429) {
                return RATE_LIMITED;
            }
            return status >= 500 ? SERVER_ERROR : CLIENT_ERROR;
        }
    }

    /** What the reply cache did for one request (label {@code result} of {@code sidecar_cache_requests_total}). */
    enum CacheLookup {
        /** A stored reply. */
        HIT,
        /** No reply stored or on its way: this request called the upstream. */
        MISS,
        /** An identical request was already calling the upstream: this one waited for its reply. */
        COALESCED;

        private final String label = name().toLowerCase(Locale.ROOT);

        /** @return the label value */
        public String label() {
            return label;
        }
    }

    /** Which usage limit refused a request (label {@code limit} of {@code sidecar_limit_rejections_total}). */
    enum Limit {
        /** SIDECAR_LIMIT_USER_REQUESTS. */
        USER_REQUESTS,
        /** SIDECAR_LIMIT_USER_TOKENS. */
        USER_TOKENS,
        /** SIDECAR_LIMIT_SITE_REQUESTS. */
        SITE_REQUESTS,
        /** SIDECAR_LIMIT_SITE_TOKENS. */
        SITE_TOKENS;

        private final String label = name().toLowerCase(Locale.ROOT);

        /** @return the label value */
        public String label() {
            return label;
        }
    }

    /** @param request one answered /ai or /v1 request, as its access line and usage record describe it */
    default void answered(UsageRecord request) {
    }

    /** @param outcome how one attempt of an upstream exchange ended */
    default void upstreamAttempt(Attempt outcome) {
    }

    /** @param result what the reply cache did for one cached action's request */
    default void cacheLookup(CacheLookup result) {
    }

    /** @param limit the limit that refused a request */
    default void limitRefused(Limit limit) {
    }
}
