package org.openaimoodle.sidecar.worker.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import org.openaimoodle.sidecar.worker.action.ErrorCode;
import org.openaimoodle.sidecar.worker.action.Reply;

/**
 * The filter in front of every route. Refuses a foreign {@code Host} (403, see {@link LocalHosts}), and closes the
 * connection after the answer when it says {@code Connection: close} or when the request body was left unread.
 * During a handover ({@link RequestGate#handOver}) every answer says {@code Connection: close}.
 * Helidon 4.5 does neither: after such an answer it keeps reading the socket, so the unread body was parsed as
 * the next request (request smuggling) and a client waiting for EOF waited for the idle timeout.
 */
final class RequestHygiene implements Filter {
    private final LocalHosts hosts;
    private final RequestGate gate;

    /**
     * @param hosts the Host values served
     * @param gate  tells when the worker hands over to a new one: then every answer closes its connection
     */
    RequestHygiene(LocalHosts hosts, RequestGate gate) {
        this.hosts = hosts;
        this.gate = gate;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        boolean bodyPresent = req.content().hasEntity();
        if (!hosts.allows(req.headers().all(HeaderNames.HOST, java.util.List::of))) {
            JsonReplies.send(res.header(HeaderValues.CONNECTION_CLOSE), 403, Reply.failure(ErrorCode.INVALID_REQUEST,
                    "Host not allowed: send Host: 127.0.0.1 (or add this host name to SIDECAR_ALLOWED_HOSTS)")
                    .toJson());
        } else {
            // During a handover (a new worker listens beside this one) the answer says the connection closes,
            // however long it was in flight: the client's next request opens a connection to the new worker.
            res.beforeSend(() -> {
                if (gate.handingOver()) {
                    res.header(HeaderValues.CONNECTION_CLOSE);
                }
            });
            if (bodyPresent) {
                // An answer given without reading the body (a 404, a 405) announces the close that follows it.
                res.beforeSend(() -> {
                    if (!req.content().consumed()) {
                        res.header(HeaderValues.CONNECTION_CLOSE);
                    }
                });
            }
            chain.proceed();
        }
        boolean unreadBody = bodyPresent && !req.content().consumed();
        if (unreadBody) {
            GuardedConnection.closesWithUnreadBody(); // the close lingers: the client may still be sending it
        }
        if (saysClose(req.headers()) || saysClose(res.headers()) || unreadBody) {
            // The answer is complete on the wire; ending the connection here is the only way to stop Helidon
            // from reading what follows (an unread body) as the next request.
            throw new CloseConnectionException("answered; closing");
        }
    }

    /**
     * Whether the headers carry {@code Connection: close}. Most requests and answers have no Connection header
     * at all (HTTP/1.1 keeps the connection by default): a map lookup answers for them, where Helidon's
     * {@code containsToken} alone collects and splits every value through a stream, twice per request.
     */
    private static boolean saysClose(Headers headers) {
        return headers.contains(HeaderNames.CONNECTION) && headers.containsToken(HeaderValues.CONNECTION_CLOSE);
    }
}
