package org.openaimoodle.sidecar.supervisor.supervision;

import java.util.Locale;

/** Why the last worker went away, as {@code sidecarctl status} names it. */
public enum ExitReason {
    /** It exited without being asked to (a crash, {@code kill -9} from outside, an exit of its own). */
    CRASHED,
    /** Health probes failed in a row; the supervisor killed it. */
    HUNG,
    /** It was not healthy within {@code SIDECAR_START_TIMEOUT}; the supervisor killed it. */
    START_TIMEOUT,
    /** It used more memory than allowed and was replaced (reserved for the memory guard). */
    MEMORY,
    /** {@code sidecarctl restart} or a stop asked for it. */
    REQUESTED;

    /** The name shown by {@code status} and in {@code status --json}: {@code crashed}, {@code start_timeout}, … */
    public String shownName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The reason named {@code shown} (what {@link #shownName()} wrote). */
    public static ExitReason ofShownName(String shown) {
        return valueOf(shown.toUpperCase(Locale.ROOT));
    }
}
