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
 * {@code java.net.http.HttpClient} or Helidon's client. Its read timeout bounds each read rather than the
 * whole response; for the small JSON answers of Chat Completions that is the same thing in practice.
 */
public final class UrlConnectionTransport implements UpstreamTransport {

    /** Creates the transport and turns off the JDK's silent re-send of a POST, so retries are ours alone. */
    public UrlConnectionTransport() {
        System.setProperty("sun.net.http.retryPost", "false");
    }

    @Override
    public TransportResponse post(URI uri, Map<String, String> headers, byte[] body, Duration connectTimeout,
                                  Duration timeout) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
        try {
            connection.setRequestMethod("POST");
            connection.setConnectTimeout(atLeastOneMilli(connectTimeout));
            connection.setReadTimeout(atLeastOneMilli(timeout));
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
            byte[] responseBody = stream == null ? new byte[0] : readAll(stream);
            return new TransportResponse(status, responseHeaders, responseBody);
        } catch (IOException e) {
            connection.disconnect();
            throw e;
        }
    }

    private static byte[] readAll(InputStream stream) throws IOException {
        try (stream) {
            return stream.readAllBytes();
        }
    }

    private static int atLeastOneMilli(Duration duration) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, duration.toMillis()));
    }
}
