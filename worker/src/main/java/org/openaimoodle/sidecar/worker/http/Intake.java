package org.openaimoodle.sidecar.worker.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.OptionalLong;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.RequestException;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import org.openaimoodle.sidecar.worker.action.ErrorCode;
import org.openaimoodle.sidecar.worker.memory.MemoryBudget;

/**
 * What every /ai and /v1 request passes before its endpoint sees it, in this order: the shared token
 * ({@code SIDECAR_TOKEN}, compared in constant time; 401), {@code Content-Type: application/json} for bodies (415:
 * a web page can post text/plain without a CORS preflight), admission by {@link RequestGate} (503 +
 * Retry-After), bad body framing (400), the body limit ({@code SIDECAR_MAX_BODY_BYTES}, 413) and room in the
 * gate's {@link MemoryBudget} (503; the request's account then holds the body and the upstream's answer until the
 * endpoint has answered). Each endpoint
 * renders a refusal in its own error shape; a refusal given before the body is read closes the connection.
 */
final class Intake {
    /** How an endpoint answers a refusal (its error shape and its access line). */
    @FunctionalInterface
    interface Refusal {
        void send(ServerResponse res, int status, ErrorCode code, String message);
    }

    /** The endpoint's work once the request is admitted; the gate's permit is held while it runs. */
    @FunctionalInterface
    interface Admitted {
        /** @param body the whole body (empty for a GET) */
        void handle(byte[] body) throws IOException;
    }

    /** Where refused bodies are read into and dropped: never read back, so all requests may share it. */
    private static final byte[] DISCARD = new byte[64 * 1024];

    private final RequestGate gate;
    private final int maxBodyBytes;
    private final Optional<byte[]> expectedAuthorization;

    Intake(RequestGate gate, int maxBodyBytes, Optional<String> token) {
        this.gate = gate;
        this.maxBodyBytes = maxBodyBytes;
        this.expectedAuthorization = token.map(t -> ("Bearer " + t).getBytes(StandardCharsets.UTF_8));
    }

    /** A request with a JSON body: every check, then {@code admitted} with the body. */
    void post(ServerRequest req, ServerResponse res, Refusal refusal, Admitted admitted) throws IOException {
        if (!authorized(req)) {
            refuseEarly(res, refusal, 401, ErrorCode.UNAUTHORIZED, "Missing or wrong token: send "
                    + "'Authorization: Bearer <SIDECAR_TOKEN>'");
        } else if (!json(req)) {
            refuseEarly(res, refusal, 415, ErrorCode.INVALID_REQUEST,
                    "Send the request as JSON: 'Content-Type: application/json'");
        } else {
            admit(res, refusal, account -> {
                byte[] body;
                try {
                    body = readLimited(req, account);
                } catch (MemoryBudget.Exhausted e) {
                    res.header(HeaderNames.RETRY_AFTER, "1");
                    refusal.send(res, 503, ErrorCode.UNAVAILABLE, "The sidecar has no memory left for this "
                            + "request body right now (SIDECAR_MEMORY_BUDGET_PERCENT); retry in a moment");
                    return;
                } catch (RequestException | IllegalArgumentException e) {
                    // Helidon's chunked decoder rejects a bad chunk size with a NumberFormatException (an
                    // IllegalArgumentException) or a RequestException, both of which its error handling makes a 500.
                    refuseEarly(res, refusal, 400, ErrorCode.INVALID_REQUEST,
                            "Malformed request body (bad chunked encoding)");
                    return;
                }
                if (body == null) {
                    refuseEarly(res, refusal, 413, ErrorCode.PAYLOAD_TOO_LARGE, "Request body is larger than "
                            + maxBodyBytes + " bytes (SIDECAR_MAX_BODY_BYTES); send less");
                    return;
                }
                admitted.handle(body);
            });
        }
    }

    /** A request without a body: the token and the gate. */
    void get(ServerRequest req, ServerResponse res, Refusal refusal, Admitted admitted) throws IOException {
        if (!authorized(req)) {
            refuseEarly(res, refusal, 401, ErrorCode.UNAUTHORIZED, "Missing or wrong token: send "
                    + "'Authorization: Bearer <SIDECAR_TOKEN>'");
        } else {
            admit(res, refusal, account -> admitted.handle(new byte[0]));
        }
    }

    private void admit(ServerResponse res, Refusal refusal, Runnable0 work) throws IOException {
        switch (gate.tryEnter()) {
            case DRAINING -> refuseEarly(res, refusal, 503, ErrorCode.UNAVAILABLE,
                    "The sidecar is shutting down; retry in a moment");
            case OVER_LIMIT -> refuseEarly(res, refusal, 503, ErrorCode.UNAVAILABLE,
                    "Too many requests in flight (SIDECAR_MAX_CONCURRENT_REQUESTS); retry in a moment");
            case ADMITTED -> {
                // The account holds the body and the upstream's answer until the reply is sent.
                try (MemoryBudget.Account account = gate.budget().open().bind()) {
                    work.run(account);
                } finally {
                    gate.leave();
                }
            }
        }
    }

    @FunctionalInterface
    private interface Runnable0 {
        void run(MemoryBudget.Account account) throws IOException;
    }

    /** An answer before the whole body was read: the connection closes after it (see {@link RequestHygiene}). */
    private static void refuseEarly(ServerResponse res, Refusal refusal, int status, ErrorCode code, String message) {
        res.header(HeaderValues.CONNECTION_CLOSE);
        if (status == 503) {
            res.header(HeaderNames.RETRY_AFTER, "1");
        }
        refusal.send(res, status, code, message);
    }

    /** @return whether the body is declared {@code application/json} (parameters such as charset allowed) */
    private static boolean json(ServerRequest req) {
        try {
            return req.headers().contentType()
                    .map(type -> "application".equalsIgnoreCase(type.mediaType().type())
                            && "json".equalsIgnoreCase(type.mediaType().subtype()))
                    .orElse(false);
        } catch (IllegalArgumentException e) { // unparsable Content-Type
            return false;
        }
    }

    private boolean authorized(ServerRequest req) {
        if (expectedAuthorization.isEmpty()) {
            return true;
        }
        Optional<String> given = req.headers().first(HeaderNames.AUTHORIZATION);
        return given.isPresent() && MessageDigest.isEqual(expectedAuthorization.get(),
                given.get().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @return the body, or null when it is over the limit (checked before reading when the length is known)
     * @throws MemoryBudget.Exhausted when the budget has no room for it; the body has then been read and dropped
     *                                (up to the limit), so that the client, still sending, gets the 503 instead
     *                                of a connection reset
     */
    private byte[] readLimited(ServerRequest req, MemoryBudget.Account account) throws IOException {
        OptionalLong length = req.headers().contentLength();
        if (length.isPresent() && length.getAsLong() > maxBodyBytes) {
            return null;
        }
        try (InputStream in = req.content().inputStream()) {
            try {
                return account.read(in, length.orElse(-1), maxBodyBytes, MemoryBudget.Use.REQUEST_BODY);
            } catch (MemoryBudget.Exhausted e) {
                // Bounded by the limit; a longer body stays unread and RequestHygiene closes the connection.
                for (long dropped = 0; dropped <= maxBodyBytes; ) {
                    int n = in.read(DISCARD);
                    if (n < 0) {
                        break;
                    }
                    dropped += n;
                }
                throw e;
            }
        }
    }
}
