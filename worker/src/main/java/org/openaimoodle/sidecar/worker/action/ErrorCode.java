package org.openaimoodle.sidecar.worker.action;

import java.util.Locale;

/** The machine-readable {@code code} of a failed reply (DESIGN.md, "Error codes"). */
public enum ErrorCode {
    INVALID_JSON,
    INVALID_REQUEST,
    UNKNOWN_ACTION,
    NOT_CONFIGURED,
    UPSTREAM_AUTH,
    UPSTREAM_RATE_LIMITED,
    UPSTREAM_TIMEOUT,
    UPSTREAM_UNREACHABLE,
    UPSTREAM_ERROR,
    PAYLOAD_TOO_LARGE,
    UNAUTHORIZED,
    UNAVAILABLE,
    INTERNAL;

    private final String wire = name().toLowerCase(Locale.ROOT);

    /** @return the code as it appears in replies and logs, e.g. {@code upstream_timeout} */
    public String wire() {
        return wire;
    }
}
