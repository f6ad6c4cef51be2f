package org.openaimoodle.sidecar.worker.upstream;

import java.io.IOException;
import java.io.InputStream;

import org.openaimoodle.sidecar.worker.memory.MemoryBudget;

/**
 * The upstream's answer is larger than {@code SIDECAR_MAX_UPSTREAM_REPLY_BYTES}: it is not read further (an
 * unbounded read of a misbehaving upstream's answer would end in an OutOfMemoryError), and the request
 * fails with {@code upstream_error} without a retry, which would only fetch the same answer again.
 */
public final class ReplyTooLargeException extends IOException {
    private final int limit;

    ReplyTooLargeException(int limit) {
        super("answer larger than " + limit + " bytes");
        this.limit = limit;
    }

    /** @return the bound that was exceeded, in bytes */
    public int limit() {
        return limit;
    }

    /**
     * Reads a whole answer body, at most {@code maxBytes} of it, charged to the request's memory budget account
     * ({@link MemoryBudget#current()}; unlimited in stdio mode). Both transports read answers only here.
     *
     * @param in             the body
     * @param declaredLength its Content-Length, or -1 when not given (chunked)
     * @param maxBytes       the bound
     * @return the body
     * @throws ReplyTooLargeException  when it is (or says it is) longer than the bound
     * @throws MemoryBudget.Exhausted when the budget had no room for it within {@link MemoryBudget#ANSWER_WAIT}
     * @throws IOException             when reading fails
     */
    static byte[] readBounded(InputStream in, long declaredLength, int maxBytes) throws IOException {
        byte[] body = MemoryBudget.current().read(in, declaredLength, maxBytes, MemoryBudget.Use.UPSTREAM_ANSWER);
        if (body == null) {
            throw new ReplyTooLargeException(maxBytes);
        }
        return body;
    }
}
