package org.openaimoodle.sidecar.worker.upstream;

import java.util.Map;
import java.util.Optional;

/**
 * An HTTP response as the transports hand it over.
 *
 * @param status  the status code
 * @param headers header values by lower-case name (first value of each)
 * @param body    the whole body
 */
public record TransportResponse(int status, Map<String, String> headers, byte[] body) {
    /** @return the header's value, by case-insensitive name */
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(java.util.Locale.ROOT)));
    }
}
