package org.openaimoodle.sidecar.worker.upstream;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * When to retry an upstream call, and after how long. Pure: the caller supplies the time left and the
 * random number, so every decision is testable.
 *
 * <p>Retried: connection failures, 408, 409, 429 and 5xx. The wait is the server's {@code retry-after-ms} or
 * {@code Retry-After} when given, else exponential backoff with jitter; a wait that does not fit in the time
 * left is not taken (the last failure is reported instead).
 *
 * @param maxRetries     retries after the first attempt (2 by default, as the README's "Upstream calls" says)
 * @param initialBackoff backoff before the first retry, before jitter (0.5 s)
 * @param maxBackoff     cap of the exponential backoff (8 s)
 */
public record RetryPolicy(int maxRetries, Duration initialBackoff, Duration maxBackoff) {

    /** The default policy (README, "Upstream calls"): 2 retries, 0.5 s doubling, capped at 8 s. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(2, Duration.ofMillis(500), Duration.ofSeconds(8));

    /** @return whether a response with this status is worth another attempt */
    public static boolean retryableStatus(int status) {
        return status == 408 || status == 409 || status == 429 || status >= 500;
    }

    /**
     * @param retry  1 for the first retry, 2 for the second, …
     * @param random uniform in [0, 1)
     * @return {@code min(cap, initial * 2^(retry-1))}, scaled by a jitter factor in [0.5, 1)
     */
    public Duration backoff(int retry, double random) {
        long base = initialBackoff.toMillis() << Math.min(retry - 1, 20);
        long capped = Math.min(base, maxBackoff.toMillis());
        return Duration.ofMillis(Math.round(capped * (0.5 + random / 2)));
    }

    /**
     * @param retriesDone how many retries were already made
     * @param serverHint  the wait the server asked for, if any
     * @param remaining   time left before the request's deadline
     * @param random      uniform in [0, 1), for the jitter
     * @return the wait before the next attempt, or empty when no further attempt should be made
     */
    public Optional<Duration> delayBeforeRetry(int retriesDone, Optional<Duration> serverHint, Duration remaining,
                                               double random) {
        if (retriesDone >= maxRetries) {
            return Optional.empty();
        }
        Duration delay = serverHint.orElseGet(() -> backoff(retriesDone + 1, random));
        return delay.compareTo(remaining) < 0 ? Optional.of(delay) : Optional.empty();
    }

    /**
     * Reads the wait a server asked for: {@code retry-after-ms} (OpenAI's, milliseconds) first, then
     * {@code Retry-After} as seconds or an HTTP date. Unparseable or negative values are ignored.
     *
     * @param retryAfterMs the {@code retry-after-ms} header
     * @param retryAfter   the {@code Retry-After} header
     * @param now          the current time, for the date form
     * @return the wait, if the server gave a usable one
     */
    public static Optional<Duration> serverHint(Optional<String> retryAfterMs, Optional<String> retryAfter,
                                                Instant now) {
        Optional<Duration> millis = retryAfterMs.flatMap(v -> number(v).map(ms -> Duration.ofMillis(Math.round(ms))));
        if (millis.isPresent()) {
            return millis;
        }
        return retryAfter.flatMap(v -> number(v)
                .map(seconds -> Duration.ofMillis(Math.round(seconds * 1000)))
                .or(() -> httpDate(v, now)));
    }

    private static Optional<Double> number(String value) {
        try {
            double parsed = Double.parseDouble(value.strip());
            return parsed >= 0 && parsed < 86_400_000 ? Optional.of(parsed) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Duration> httpDate(String value, Instant now) {
        try {
            Instant at = ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration wait = Duration.between(now, at);
            return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
