package org.openaimoodle.sidecar.supervisor.supervision;

import java.util.Locale;

/**
 * A zero-downtime replacement of the worker ({@code restart}, {@code reload}, the memory guard): a new worker
 * started beside the serving one, which hands over once the new one is healthy.
 *
 * @param id      counts replacements since the supervisor started: {@code restart} and {@code reload} wait for theirs
 * @param outcome pending until the new worker is healthy (succeeded) or not (failed: the old one keeps serving)
 * @param reason  {@link ExitReason#REQUESTED} or {@link ExitReason#MEMORY}
 * @param message why it failed, or what it did
 */
public record Replacement(long id, Outcome outcome, ExitReason reason, String message) {
    /** Where a replacement stands. */
    public enum Outcome {
        PENDING, SUCCEEDED, FAILED;

        /** The name in {@code status --json}: {@code pending}, {@code succeeded}, {@code failed}. */
        public String shownName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    Replacement ended(Outcome ended, String why) {
        return new Replacement(id, ended, reason, why);
    }
}
