package org.openaimoodle.sidecar.worker.action;

import org.openaimoodle.sidecar.worker.upstream.Usage;

/**
 * What one request produced, with what the access log needs.
 *
 * @param action the action field as sent, or null
 * @param userId the user id as sent, or null
 * @param reply  the reply envelope
 * @param usage  the tokens its upstream calls cost
 */
public record Outcome(String action, String userId, Reply reply, Usage usage) {
}
