package org.openaimoodle.sidecar.worker.action;

import java.util.Locale;

import org.openaimoodle.sidecar.worker.upstream.UpstreamException;

/** The machine-readable {@code code} of a failed reply (README, "Error codes"). */
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
    /**
     * The usage limits cannot be checked (Redis unreachable) and SIDECAR_LIMITS_FAIL_CLOSED=true: {@code unavailable}
     * on the wire like {@link #UNAVAILABLE}, but /ai answers it with 200 (like {@link #QUOTA_EXCEEDED}), so that the
     * plugin shows the message instead of falling back to stdio mode, where no limit applies.
     */
    LIMITS_UNAVAILABLE("unavailable"),
    QUOTA_EXCEEDED,
    INTERNAL;

    private final String wire;

    ErrorCode() {
        this.wire = name().toLowerCase(Locale.ROOT);
    }

    ErrorCode(String wire) {
        this.wire = wire;
    }

    /** @return the code as it appears in replies and logs, e.g. {@code upstream_timeout} */
    public String wire() {
        return wire;
    }

    /** @return the code of a failed upstream call: the one mapping, for /ai and /v1 alike */
    public static ErrorCode of(UpstreamException.Kind kind) {
        return switch (kind) {
            case AUTH -> UPSTREAM_AUTH;
            case RATE_LIMITED -> UPSTREAM_RATE_LIMITED;
            case TIMEOUT -> UPSTREAM_TIMEOUT;
            case UNREACHABLE -> UPSTREAM_UNREACHABLE;
            case ERROR -> UPSTREAM_ERROR;
            case BUSY -> UNAVAILABLE;
        };
    }
}
