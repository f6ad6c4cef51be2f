package org.openaimoodle.sidecar.worker.upstream;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.RuntimeUnknownHostException;
import io.helidon.webclient.http1.Http1Client;

/**
 * The HTTP-mode transport: one Helidon HTTP/1.1 WebClient ({@link Http1Client}) for the process, with pooled
 * keep-alive connections. The pool's size bounds idle connections kept, not connections in use, so thousands
 * of concurrent requests each get a connection instead of queueing for one. The HTTP/1.1 client is used
 * directly: the generic {@code WebClient} looks up the protocol of every request in an LRU cache whose
 * {@code get} takes a write lock, and with 2,000 requests in flight that lock serialized them all.
 *
 * <p>The whole exchange is bounded by {@link ExchangeWatchdog}; the connect timeout is the client's (Helidon
 * has none per request), cut short by the watchdog when less time is left.
 */
public final class HelidonTransport implements UpstreamTransport {
    /** JDK properties through which a proxy can be configured (java.net docs, "Networking Properties"). */
    private static final List<String> PROXY_PROPERTIES = List.of("http.proxyHost", "https.proxyHost",
            "socksProxyHost", "java.net.useSystemProxies");

    private final Duration connectTimeout;
    private final int idleConnections;
    private final int maxReplyBytes;
    private volatile Http1Client client;

    /**
     * Creates the transport; the WebClient itself is built by {@link #warmUp()} or the first request.
     *
     * @param connectTimeout  TCP connect timeout (shortened to the time left by the deadline's interrupt)
     * @param idleConnections how many idle keep-alive connections to keep per host
     * @param maxReplyBytes   longest answer body read
     */
    public HelidonTransport(Duration connectTimeout, int idleConnections, int maxReplyBytes) {
        this.connectTimeout = connectTimeout;
        this.idleConnections = idleConnections;
        this.maxReplyBytes = maxReplyBytes;
    }

    /**
     * Builds the WebClient now. Called right after the server listens: building it loads some 500 classes,
     * which would otherwise delay the first healthy answer.
     */
    public void warmUp() {
        client();
    }

    private Http1Client client() {
        Http1Client built = client;
        if (built == null) {
            synchronized (this) {
                if (client == null) {
                    client = Http1Client.builder()
                            .connectTimeout(connectTimeout)
                            .connectionCacheSize(idleConnections)
                            .sendExpectContinue(false)
                            .followRedirects(false)
                            .proxy(proxy())
                            .build();
                }
                built = client;
            }
        }
        return built;
    }

    /**
     * Helidon's default proxy setting asks the JDK's ProxySelector on every request (a URI and a regex match
     * each time, a measurable share of the worker's CPU under load: BENCHMARKS.md, "What mattered"). The answer
     * can only change through the JDK proxy properties, which are fixed at start, so when none is set the
     * client goes direct without asking; when one is set (e.g. {@code SIDECAR_JAVA_OPTS=-Dhttps.proxyHost=...})
     * the system proxy is kept.
     */
    private static Proxy proxy() {
        boolean configured = PROXY_PROPERTIES.stream().anyMatch(name -> System.getProperty(name) != null);
        return configured ? Proxy.create() : Proxy.noProxy();
    }

    @Override
    public TransportResponse post(URI uri, Map<String, String> headers, byte[] body, Duration timeout)
            throws IOException {
        return ExchangeWatchdog.within(timeout, () -> unwrapped(() -> whole(request(Method.POST, uri, headers, timeout)
                .submit(body))));
    }

    @Override
    public TransportResponse get(URI uri, Map<String, String> headers, Duration timeout) throws IOException {
        return ExchangeWatchdog.within(timeout, () -> unwrapped(() -> whole(request(Method.GET, uri, headers, timeout)
                .request())));
    }

    @Override
    public TransportResponse openStream(URI uri, Map<String, String> headers, byte[] body, Duration timeout,
                                        Duration idleTimeout) throws IOException {
        return ExchangeWatchdog.within(timeout, () -> unwrapped(() -> {
            HttpClientResponse response = request(Method.POST, uri, headers, timeout).submit(body);
            if (response.status().code() / 100 != 2) {
                return whole(response);
            }
            try {
                // The first bytes are read within the deadline: until they arrive, a failure can still be retried.
                InputStream in = response.entity().inputStream();
                byte[] buffer = new byte[8192];
                int n = in.read(buffer);
                byte[] first = n < 0 ? new byte[0] : java.util.Arrays.copyOf(buffer, n);
                return new TransportResponse(response.status().code(), headers(response), new byte[0],
                        new UpstreamStream(in, first, idleTimeout, response::close));
            } catch (RuntimeException | IOException e) {
                response.close();
                throw e;
            }
        }));
    }

    private Http1ClientRequest request(Method method, URI uri, Map<String, String> headers, Duration timeout) {
        Http1ClientRequest request = client().method(method).uri(uri)
                .readTimeout(ExchangeWatchdog.socketTimeout(timeout));
        headers.forEach((name, value) -> request.header(HeaderNames.create(name), value));
        return request;
    }

    /** Reads the whole (bounded) body and releases the response. */
    private TransportResponse whole(HttpClientResponse response) throws IOException {
        try (response) {
            byte[] responseBody = new byte[0];
            if (response.entity().hasEntity()) {
                // Closing the response afterwards closes the connection when the body was not read to its end.
                InputStream in = response.entity().inputStream();
                responseBody = ReplyTooLargeException.readBounded(in, response.headers().contentLength().orElse(-1),
                        maxReplyBytes);
                // A body read to exactly its Content-Length has not yet told Helidon that it ended: only a read
                // that returns -1 does. Without it, closing the response closes the connection instead of
                // returning it to the pool, and every request pays a new TCP connection to the upstream.
                in.read();
            }
            return new TransportResponse(response.status().code(), headers(response), responseBody);
        }
    }

    private static Map<String, String> headers(HttpClientResponse response) {
        Map<String, String> responseHeaders = new HashMap<>();
        for (Header header : response.headers()) {
            responseHeaders.putIfAbsent(header.name().toLowerCase(Locale.ROOT), header.get());
        }
        return responseHeaders;
    }

    /** A step of an exchange that Helidon may fail with its own runtime exceptions. */
    @FunctionalInterface
    interface IoCall<T> {
        T run() throws IOException;
    }

    /** Runs a step, turning Helidon's runtime exceptions into the IOExceptions they stand for. */
    static <T> T unwrapped(IoCall<T> call) throws IOException {
        try {
            return call.run();
        } catch (UncheckedIOException e) {
            throw e.getCause(); // unwrap, so timeouts stay SocketTimeoutException for the caller
        } catch (DataReader.InsufficientDataAvailableException e) {
            // Helidon's way of saying the peer closed the connection mid-answer.
            throw new IOException("connection closed before a complete answer", e);
        } catch (RuntimeUnknownHostException e) {
            throw new UnknownHostException(e.getMessage());
        } catch (IllegalArgumentException e) {
            // Helidon reports a host it cannot resolve this way; to the caller it is a connection failure.
            if (e.getCause() instanceof IOException cause) {
                throw cause;
            }
            throw new UnknownHostException(e.getMessage());
        }
    }
}
