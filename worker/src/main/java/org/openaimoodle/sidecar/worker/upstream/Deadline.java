package org.openaimoodle.sidecar.worker.upstream;

import java.time.Duration;

/** The point in time by which one /ai request must be answered; shared by every upstream call it makes. */
public final class Deadline {
    private final long endNanos;
    private final Duration total;

    private Deadline(Duration total) {
        this.total = total;
        this.endNanos = System.nanoTime() + total.toNanos();
    }

    /** @return a deadline {@code total} from now */
    public static Deadline after(Duration total) {
        return new Deadline(total);
    }

    /** @return time left, never negative */
    public Duration remaining() {
        long left = endNanos - System.nanoTime();
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }

    /** @return the whole budget this deadline was created with, for messages */
    public Duration total() {
        return total;
    }
}
