package org.openaimoodle.sidecar.worker.limits;

import java.time.Duration;

/** A request refused by a usage limit; it never reached the upstream. */
public final class QuotaExceeded extends Exception {
    private final transient Duration retryAfter;

    QuotaExceeded(String which, Duration retryAfter) {
        super("Usage limit reached: " + which + "; try again in " + wording(retryAfter), null, false, false);
        this.retryAfter = retryAfter;
    }

    /** @return how long until the request would be allowed, at least one second */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** @return whole seconds for {@code Retry-After}, rounded up, at least 1 */
    public long retryAfterSeconds() {
        return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }

    /** @return a duration as a student reads it: {@code 2 minutes}, {@code 1 hour 5 minutes}, {@code 40 seconds} */
    static String wording(Duration wait) {
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        if (seconds < 60) {
            return plural(seconds, "second");
        }
        long minutes = (seconds + 59) / 60;
        if (minutes < 60) {
            return plural(minutes, "minute");
        }
        long hours = minutes / 60;
        if (hours < 48) {
            return plural(hours, "hour") + (minutes % 60 == 0 ? "" : " " + plural(minutes % 60, "minute"));
        }
        return plural((hours + 23) / 24, "day");
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }
}
