package org.openaimoodle.sidecar.worker.upstream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The stdio-mode transport: {@link HttpURLConnection}, which the JDK starts far faster than
 * {@code java.net.http.HttpClient} or Helidon's client. Its timeouts bound each connect and each read; the
 * whole exchange is bounded by {@link ExchangeWatchdog}.
 */
public final class UrlConnectionTransport implements UpstreamTransport {
    private final Duration connectTimeout;
    private final int maxReplyBytes;

    /**
     * Creates the transport and turns off the JDK's silent re-send of a POST, so retries are ours alone.
     *
     * @param connectTimeout longest wait for the TCP connection (shorter when less time is left)
     * @param maxReplyBytes  longest answer body read
     */
    public UrlConnectionTransport(Duration connectTimeout, int maxReplyBytes) {
        this.connectTimeout = connectTimeout;
        this.maxReplyBytes = maxReplyBytes;
        System.setProperty("sun.net.http.retryPost", "false");
    }

    @Override
    public TransportResponse post(URI uri, Map<String, String> headers, byte[] body, Duration timeout)
            throws IOException {
        HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
        return ExchangeWatchdog.within(timeout, () -> {
            try {
                return exchange(connection, body, headers, timeout);
            } catch (IOException | RuntimeException e) {
                connection.disconnect();
                throw e;
            }
        });
    }

    private TransportResponse exchange(HttpURLConnection connection, byte[] body, Map<String, String> headers,
                                       Duration timeout) throws IOException {
        connection.setRequestMethod("POST");
        Duration socketTimeout = ExchangeWatchdog.socketTimeout(timeout);
        connection.setConnectTimeout(atLeastOneMilli(connectTimeout.compareTo(socketTimeout) <= 0
                ? connectTimeout : socketTimeout));
        connection.setReadTimeout(atLeastOneMilli(socketTimeout));
        connection.setInstanceFollowRedirects(false);
        connection.setDoOutput(true);
        // No streaming mode: in it, a 401 answer surfaces as HttpRetryException with its body lost.
        headers.forEach(connection::setRequestProperty);
        try (OutputStream out = connection.getOutputStream()) {
            out.write(body);
        }
        int status = connection.getResponseCode();
        Map<String, String> responseHeaders = new HashMap<>();
        for (Map.Entry<String, List<String>> header : connection.getHeaderFields().entrySet()) {
            if (header.getKey() != null && !header.getValue().isEmpty()) {
                responseHeaders.put(header.getKey().toLowerCase(Locale.ROOT), header.getValue().get(0));
            }
        }
        InputStream stream = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
        byte[] responseBody = stream == null ? new byte[0] : readAll(stream, connection.getContentLengthLong());
        return new TransportResponse(status, responseHeaders, responseBody);
    }

    private byte[] readAll(InputStream stream, long declaredLength) throws IOException {
        try (stream) {
            return ReplyTooLargeException.readBounded(stream, declaredLength, maxReplyBytes);
        }
    }

    private static int atLeastOneMilli(Duration duration) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, duration.toMillis()));
    }
}
