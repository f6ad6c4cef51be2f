package org.openaimoodle.sidecar.worker.upstream;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Sends one HTTP POST. Two implementations share {@link ChatCompletionsClient}'s retry policy and error
 * mapping: Helidon WebClient in HTTP mode (pooled), and {@code HttpURLConnection} in stdio mode, whose
 * start-up is far cheaper for a process that answers one request.
 */
public interface UpstreamTransport {
    /**
     * @param uri            target
     * @param headers        request headers (Content-Type and Authorization included)
     * @param body           request body
     * @param connectTimeout longest wait for the connection
     * @param timeout        longest wait for the whole response
     * @return the response, whatever its status
     * @throws java.net.SocketTimeoutException when the response did not arrive in time
     * @throws IOException                     when the connection failed or broke
     */
    TransportResponse post(URI uri, Map<String, String> headers, byte[] body, Duration connectTimeout,
                           Duration timeout) throws IOException;
}
