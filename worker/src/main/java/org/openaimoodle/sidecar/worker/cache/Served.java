package org.openaimoodle.sidecar.worker.cache;

/**
 * A reply and whether it came without an upstream call of its own (from the cache, or shared with an identical
 * request in flight): such a reply costs no tokens.
 *
 * @param value  the reply
 * @param cached whether it was served without this request's own upstream call
 * @param <V>    the reply type
 */
public record Served<V>(V value, boolean cached) {
}
