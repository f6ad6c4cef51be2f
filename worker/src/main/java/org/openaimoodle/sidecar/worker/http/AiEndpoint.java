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
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import org.openaimoodle.sidecar.worker.action.ActionService;
import org.openaimoodle.sidecar.worker.action.ErrorCode;
import org.openaimoodle.sidecar.worker.action.Outcome;
import org.openaimoodle.sidecar.worker.action.Reply;
import org.openaimoodle.sidecar.worker.log.AccessLog;
import org.openaimoodle.sidecar.worker.memory.MemoryBudget;

/**
 * {@code POST /ai}: the HTTP face of {@link ActionService}. Adds what only HTTP has: the shared-token check
 * (401), {@code Content-Type: application/json} (415: a web page can post text/plain without a CORS preflight),
 * the body limit (413), bad body framing (400), admission by {@link RequestGate} (503 + Retry-After) and by its
 * {@link MemoryBudget} (503 when there is no room for the body, or for the upstream's answer), and one access
 * line per request whatever its fate. An answer given before the body is read closes the connection.
 */
final class AiEndpoint implements HttpService {
    private final ActionService service;
    private final RequestGate gate;
    private final int maxBodyBytes;
    private final Optional<byte[]> expectedAuthorization;
    /** Where refused bodies are read into and dropped: never read back, so all requests may share it. */
    private static final byte[] DISCARD = new byte[64 * 1024];

    AiEndpoint(ActionService service, RequestGate gate, int maxBodyBytes, Optional<String> token) {
        this.service = service;
        this.gate = gate;
        this.maxBodyBytes = maxBodyBytes;
        this.expectedAuthorization = token.map(t -> ("Bearer " + t).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/ai", this::ai)
                .any("/ai", (req, res) -> RoutingErrors.methodNotAllowed(res, "POST", "/ai"));
    }

    private void ai(ServerRequest req, ServerResponse res) throws IOException {
        long start = System.nanoTime();
        if (!authorized(req)) {
            answerEarly(res, start, 401, Reply.failure(ErrorCode.UNAUTHORIZED, "Missing or wrong token: send "
                    + "'Authorization: Bearer <SIDECAR_TOKEN>'"));
            return;
        }
        if (!json(req)) {
            answerEarly(res, start, 415, Reply.failure(ErrorCode.INVALID_REQUEST,
                    "Send the request as JSON: 'Content-Type: application/json'"));
            return;
        }
        switch (gate.tryEnter()) {
            case DRAINING -> answerEarly(res, start, 503, Reply.failure(ErrorCode.UNAVAILABLE,
                    "The sidecar is shutting down; retry in a moment"));
            case OVER_LIMIT -> answerEarly(res, start, 503, Reply.failure(ErrorCode.UNAVAILABLE,
                    "Too many requests in flight (SIDECAR_MAX_CONCURRENT_REQUESTS); retry in a moment"));
            case ADMITTED -> {
                // The account holds the body and the upstream's answer until the reply is sent.
                try (MemoryBudget.Account account = gate.budget().open().bind()) {
                    admitted(req, res, start, account);
                } finally {
                    gate.leave();
                }
            }
        }
    }

    private void admitted(ServerRequest req, ServerResponse res, long start, MemoryBudget.Account account)
            throws IOException {
        byte[] body;
        try {
            body = readLimited(req, account);
        } catch (MemoryBudget.Exhausted e) {
            answer(res, start, null, 503, Reply.failure(ErrorCode.UNAVAILABLE, "The sidecar has no memory left "
                    + "for this request body right now (SIDECAR_MEMORY_BUDGET_PERCENT); retry in a moment"));
            return;
        } catch (RequestException | IllegalArgumentException e) {
            // Helidon's chunked decoder rejects a bad chunk size with a NumberFormatException (an
            // IllegalArgumentException) or a RequestException, both of which its error handling makes a 500.
            answerEarly(res, start, 400, Reply.failure(ErrorCode.INVALID_REQUEST,
                    "Malformed request body (bad chunked encoding)"));
            return;
        }
        if (body == null) {
            answerEarly(res, start, 413, Reply.failure(ErrorCode.PAYLOAD_TOO_LARGE, "Request body "
                    + "is larger than " + maxBodyBytes + " bytes (SIDECAR_MAX_BODY_BYTES); send less"));
            return;
        }
        Outcome outcome = service.handle(body);
        answer(res, start, outcome, ReplyStatus.of(outcome.reply()), outcome.reply());
    }

    /** An answer before the whole body was read: the connection closes after it (see {@link RequestHygiene}). */
    private void answerEarly(ServerResponse res, long start, int status, Reply reply) {
        res.header(HeaderValues.CONNECTION_CLOSE);
        answer(res, start, null, status, reply);
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

    private void answer(ServerResponse res, long start, Outcome outcome, int status, Reply reply) {
        if (status == 503) {
            JsonReplies.sendRetryLater(res, reply.toJson());
        } else {
            JsonReplies.send(res, status, reply.toJson());
        }
        AccessLog.record(outcome == null ? null : outcome.action(), outcome == null ? null : outcome.userId(),
                reply.outcome(), status, (System.nanoTime() - start) / 1_000_000);
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
