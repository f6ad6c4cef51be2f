package org.openaimoodle.sidecar.worker.action;

import org.openaimoodle.sidecar.worker.upstream.Usage;

/**
 * What one request produced, with what the access log needs.
 *
 * @param action the action field as sent, or null
 * @param userId the user id as sent, or null
 * @param reply  the reply envelope
 * @param usage  the tokens its upstream calls cost (0 for a cached reply)
 * @param cached whether the reply came from the shared cache (or an identical request in flight) without an
 *               upstream call of its own
 */
public record Outcome(String action, String userId, Reply reply, Usage usage, boolean cached) {

    /** @return the outcome of a request that was not served from the cache */
    public static Outcome uncached(String action, String userId, Reply reply, Usage usage) {
        return new Outcome(action, userId, reply, usage, false);
    }
}
