package org.openaimoodle.sidecar.worker.upstream;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Sends one HTTP POST. Two implementations share {@link ChatCompletionsClient}'s retry policy and error
 * mapping: Helidon WebClient in HTTP mode (pooled), and {@code HttpURLConnection} in stdio mode, whose
 * start-up is far cheaper for a process that answers one request. Both are built with the connect timeout
 * ({@code SIDECAR_CONNECT_TIMEOUT}) and the bound of an answer's size ({@code SIDECAR_MAX_UPSTREAM_REPLY_BYTES}).
 */
public interface UpstreamTransport {
    /**
     * Sends the request and reads the whole answer, all within {@code timeout}: connecting takes at most the
     * transport's connect timeout or {@code timeout}, whichever is shorter, and an exchange still running at
     * {@code timeout} (a peer that trickles bytes or never completes TLS) is aborted.
     *
     * @param uri     target
     * @param headers request headers (Content-Type and Authorization included)
     * @param body    request body
     * @param timeout longest wait for the whole exchange, connecting included
     * @return the response, whatever its status
     * @throws java.net.SocketTimeoutException when the exchange did not complete in time
     * @throws ReplyTooLargeException          when the answer is over the size bound
     * @throws IOException                     when the connection failed or broke
     */
    TransportResponse post(URI uri, Map<String, String> headers, byte[] body, Duration timeout) throws IOException;

    /**
     * {@code GET} with the same bounds as {@link #post}; HTTP mode only ({@code GET /v1/models}).
     *
     * @throws IOException as for {@link #post}
     */
    default TransportResponse get(URI uri, Map<String, String> headers, Duration timeout) throws IOException {
        throw new UnsupportedOperationException("only HTTP mode forwards GET requests");
    }

    /**
     * Sends a POST whose answer is read as it arrives (Server-Sent Events). The status, the headers and the first
     * bytes of the body are awaited within {@code timeout}; after that each read of
     * {@link TransportResponse#stream()} waits at most {@code idleTimeout}. A non-2xx answer is read whole
     * (bounded) like {@link #post}'s. HTTP mode only.
     *
     * @param timeout     longest wait for the first bytes of the body, connecting included
     * @param idleTimeout longest wait of each later read
     * @return a 2xx response with an open stream (the caller closes it), or any other response read whole
     * @throws IOException as for {@link #post}
     */
    default TransportResponse openStream(URI uri, Map<String, String> headers, byte[] body, Duration timeout,
                                         Duration idleTimeout) throws IOException {
        throw new UnsupportedOperationException("only HTTP mode streams");
    }
}
