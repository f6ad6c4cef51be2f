package org.openaimoodle.sidecar.worker.cache;

import org.openaimoodle.sidecar.worker.upstream.UpstreamException;

/**
 * The upstream work behind one reply.
 *
 * @param <V> the reply type
 */
@FunctionalInterface
public interface Call<V> {
    /**
     * @return the reply
     * @throws UpstreamException when the upstream failed
     */
    V get() throws UpstreamException;
}
