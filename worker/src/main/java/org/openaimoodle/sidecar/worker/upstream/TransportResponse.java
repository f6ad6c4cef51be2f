package org.openaimoodle.sidecar.worker.upstream;

import java.util.Map;
import java.util.Optional;

/**
 * An HTTP response as the transports hand it over: a whole body, or for a successful streamed exchange
 * ({@link UpstreamTransport#openStream}) the open stream of its body.
 *
 * @param status  the status code
 * @param headers header values by lower-case name (first value of each)
 * @param body    the whole body; empty when {@code stream} is set
 * @param stream  the open body of a 2xx streamed answer (the caller closes it), else null
 */
public record TransportResponse(int status, Map<String, String> headers, byte[] body, UpstreamStream stream) {
    /** A response read whole. */
    public TransportResponse(int status, Map<String, String> headers, byte[] body) {
        this(status, headers, body, null);
    }

    /** @return the header's value, by case-insensitive name */
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(java.util.Locale.ROOT)));
    }

    /** @return whether the status is 2xx */
    public boolean ok() {
        return status / 100 == 2;
    }
}
