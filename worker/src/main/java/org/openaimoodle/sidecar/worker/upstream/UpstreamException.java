package org.openaimoodle.sidecar.worker.upstream;

/** An upstream call that produced no model text; the message is for people and never holds the key. */
public final class UpstreamException extends Exception {
    /** What kind of failure, mapped to an error code by the action layer. */
    public enum Kind {
        AUTH, RATE_LIMITED, TIMEOUT, UNREACHABLE, ERROR,
        /** The upstream answered, but the worker had no memory budget left to take the answer in. */
        BUSY
    }

    private final Kind kind;
    private final int attempts;

    /**
     * @param kind     the failure kind
     * @param message  what failed and what to do
     * @param attempts how many HTTP attempts were made
     */
    public UpstreamException(Kind kind, String message, int attempts) {
        super(message);
        this.kind = kind;
        this.attempts = attempts;
    }

    /** @return the failure kind */
    public Kind kind() {
        return kind;
    }

    /** @return how many attempts were made before giving up */
    public int attempts() {
        return attempts;
    }
}
