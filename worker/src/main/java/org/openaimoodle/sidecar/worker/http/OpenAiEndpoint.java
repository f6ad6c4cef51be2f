package org.openaimoodle.sidecar.worker.http;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import org.openaimoodle.sidecar.worker.action.ErrorCode;
import org.openaimoodle.sidecar.worker.cache.CacheKey;
import org.openaimoodle.sidecar.worker.cache.ReplyCache;
import org.openaimoodle.sidecar.worker.cache.ReplyCodec;
import org.openaimoodle.sidecar.worker.cache.Served;
import org.openaimoodle.sidecar.worker.json.Json;
import org.openaimoodle.sidecar.worker.limits.CostControl;
import org.openaimoodle.sidecar.worker.limits.QuotaExceeded;
import org.openaimoodle.sidecar.worker.log.AccessLog;
import org.openaimoodle.sidecar.worker.openai.ChatRequest;
import org.openaimoodle.sidecar.worker.openai.ModelAliases;
import org.openaimoodle.sidecar.worker.openai.OpenAiError;
import org.openaimoodle.sidecar.worker.openai.SseRelay;
import org.openaimoodle.sidecar.worker.upstream.ChatCompletionsClient;
import org.openaimoodle.sidecar.worker.upstream.Deadline;
import org.openaimoodle.sidecar.worker.upstream.TransportResponse;
import org.openaimoodle.sidecar.worker.upstream.UpstreamException;
import org.openaimoodle.sidecar.worker.upstream.Usage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible endpoint (README, "Moodle core AI through the sidecar"), for Moodle's own AI provider and
 * any OpenAI client: {@code POST /v1/chat/completions} (action {@code v1}),
 * {@code POST /moodle/{action}/v1/chat/completions} (action {@code moodle/{action}}) and {@code GET …/v1/models}.
 * The same checks ({@link Intake}), upstream client, retries, deadline and access line as /ai. The client's
 * headers never go upstream (its Authorization, OpenAI-Organization, OpenAI-Project, cookies): the client sends
 * the upstream the body and the upstream gets the real key. A 2xx answer is passed on unchanged, an upstream 4xx
 * with an OpenAI error body too; the sidecar's own failures are {@link OpenAiError}s. Streams go through
 * {@link SseRelay}.
 */
final class OpenAiEndpoint implements HttpService {
    private static final Logger LOG = LoggerFactory.getLogger("worker");
    private static final Pattern ACTION = Pattern.compile("[a-z0-9_]{1,64}");
    private static final String NOT_CONFIGURED = "No OpenAI API key is configured; set OPENAI_API_KEY for the "
            + "sidecar and restart it";

    private final Intake intake;
    private final Optional<ChatCompletionsClient> client;
    private final ModelAliases aliases;
    private final Duration requestTimeout;
    private final Duration streamIdleTimeout;
    private final SseRelay relay;
    private final CostControl costs;

    OpenAiEndpoint(Intake intake, Optional<ChatCompletionsClient> client, CostControl costs, ModelAliases aliases,
                   Duration requestTimeout, Duration streamIdleTimeout, int maxEventBytes) {
        this.intake = intake;
        this.client = client;
        this.costs = costs;
        this.aliases = aliases;
        this.requestTimeout = requestTimeout;
        this.streamIdleTimeout = streamIdleTimeout;
        this.relay = new SseRelay(maxEventBytes);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/chat/completions", (req, res) -> chat(req, res, "v1"))
                .get("/v1/models", (req, res) -> models(req, res, "v1"))
                .post("/moodle/{action}/v1/chat/completions", (req, res) -> perAction(req, res, true))
                .get("/moodle/{action}/v1/models", (req, res) -> perAction(req, res, false))
                .any("/v1/chat/completions", (req, res) -> RoutingErrors.methodNotAllowed(res, "POST",
                        req.path().path()))
                .any("/moodle/{action}/v1/chat/completions", (req, res) -> RoutingErrors.methodNotAllowed(res,
                        "POST", req.path().path()))
                .any("/v1/models", (req, res) -> RoutingErrors.methodNotAllowed(res, "GET", req.path().path()))
                .any("/moodle/{action}/v1/models", (req, res) -> RoutingErrors.methodNotAllowed(res, "GET",
                        req.path().path()));
    }

    private void perAction(ServerRequest req, ServerResponse res, boolean chat) throws IOException {
        String action = req.path().pathParameters().get("action");
        if (!ACTION.matcher(action).matches()) {
            // The body stays unread, so the connection closes after the answer: say so, or a client reuses it.
            res.header(HeaderValues.CONNECTION_CLOSE);
            RoutingErrors.notFound(res, req.path().path());
        } else if (chat) {
            chat(req, res, "moodle/" + action);
        } else {
            models(req, res, "moodle/" + action);
        }
    }

    private void chat(ServerRequest req, ServerResponse res, String action) throws IOException {
        long start = System.nanoTime();
        intake.post(req, res, (r, status, code, message) -> fail(r, start, action, null,
                new OpenAiError(status, code, message)), body -> {
            ChatRequest request;
            try {
                request = ChatRequest.parse(body, aliases);
            } catch (ChatRequest.NotAnObject e) {
                fail(res, start, action, null, new OpenAiError(400, ErrorCode.INVALID_JSON, e.getMessage()));
                return;
            }
            if (client.isEmpty()) {
                notConfigured(res, start, action, request);
                return;
            }
            Deadline deadline = Deadline.after(requestTimeout);
            String user = CostControl.identity(request.user());
            try {
                if (request.stream()) {
                    costs.admit(user); // a stream is never cached; its tokens are charged when it ends
                    stream(res, start, action, request, client.get().forwardStream(request.upstreamBody(), deadline,
                            streamIdleTimeout));
                } else {
                    CacheKey key = costs.caches(action) ? key(action, body) : null;
                    Served<Forwarded> served = costs.serve(user, key, Forwarded.CODEC, () -> checked(client.get()
                            .forward(request.upstreamBody(), deadline)), forwarded -> forwarded.answer().ok(),
                            Forwarded::totalTokens);
                    Forwarded forwarded = served.value();
                    whole(res, start, action, request, forwarded.answer(),
                            served.cached() ? new Usage(0, 0) : forwarded.usage(), served.cached());
                }
            } catch (QuotaExceeded e) {
                res.header(HeaderNames.RETRY_AFTER, Long.toString(e.retryAfterSeconds()));
                fail(res, start, action, request, new OpenAiError(429, ErrorCode.QUOTA_EXCEEDED,
                        e.getMessage()));
            } catch (UpstreamException e) {
                fail(res, start, action, request, OpenAiError.of(e));
            } catch (RuntimeException e) {
                internal(res, start, action, request, e);
            }
        });
    }

    /**
     * {@code GET …/v1/models}: logged like every request, but no usage: it is neither recorded in the usage store
     * nor counted by the limits (listing the models answers no question and costs no tokens).
     */
    private void models(ServerRequest req, ServerResponse res, String action) throws IOException {
        long start = System.nanoTime();
        intake.get(req, res, (r, status, code, message) -> failModels(r, start, action,
                new OpenAiError(status, code, message)), body -> {
            if (client.isEmpty()) {
                failModels(res, start, action, new OpenAiError(503, ErrorCode.NOT_CONFIGURED, NOT_CONFIGURED));
                return;
            }
            try {
                TransportResponse answer = client.get().models(Deadline.after(requestTimeout));
                boolean passOn = answer.ok() || (answer.status() < 500
                        && client.get().upstreamMessage(answer).isPresent());
                if (!passOn) {
                    failModels(res, start, action, OpenAiError.of(client.get().statusFailure(answer, 1)));
                    return;
                }
                res.status(Status.create(answer.status()));
                res.header(HeaderNames.CONTENT_TYPE, answer.header("content-type").orElse("application/json"));
                res.send(answer.body());
                AccessLog.recordWithoutUsage(action, answer.ok() ? "ok"
                        : OpenAiError.of(client.get().statusFailure(answer, 1)).code().wire(), answer.status(),
                        millisSince(start));
            } catch (UpstreamException e) {
                failModels(res, start, action, OpenAiError.of(e));
            } catch (RuntimeException e) {
                LOG.error("unexpected failure in {} models", action, e);
                if (!res.isSent()) {
                    failModels(res, start, action, new OpenAiError(500, ErrorCode.INTERNAL, "internal error ("
                            + e.getClass().getSimpleName() + "); see the sidecar log"));
                }
            }
        });
    }

    private static void failModels(ServerResponse res, long start, String action, OpenAiError error) {
        if (error.status() == 429 || error.code() == ErrorCode.UNAVAILABLE) {
            res.header(HeaderNames.RETRY_AFTER, "1");
        }
        JsonReplies.send(res, error.status(), error.toJson());
        AccessLog.recordWithoutUsage(action, error.code().wire(), error.status(), millisSince(start));
    }

    /**
     * @return the answer with its tokens, when a 2xx one is a Chat Completion (a JSON object with choices): a
     *         proxy's HTML page or an answer without choices is no answer an OpenAI client can use. A 2xx answer
     *         is parsed once, for the check and its tokens alike.
     * @throws UpstreamException ({@code upstream_error}) otherwise
     */
    private static Forwarded checked(TransportResponse answer) throws UpstreamException {
        if (!answer.ok()) {
            return Forwarded.of(answer);
        }
        Object root;
        try {
            root = Json.parse(answer.body());
        } catch (IOException e) {
            root = null;
        }
        if (!(root instanceof java.util.Map<?, ?>)) {
            throw new UpstreamException(UpstreamException.Kind.ERROR, "the AI service sent an unreadable answer "
                    + "(HTTP " + answer.status() + ", not JSON)", 1);
        }
        if (!(Json.path(root, "choices", 0) instanceof java.util.Map<?, ?>)) {
            throw new UpstreamException(UpstreamException.Kind.ERROR, "No response content found", 1);
        }
        return new Forwarded(answer, Usage.of(root));
    }

    /** The cache key of /v1: the action and the body, keys sorted, without {@code user}. */
    private static CacheKey key(String action, byte[] body) {
        try {
            return CacheKey.of("v1").text(action).json(Json.parse(body), "user").build();
        } catch (IOException e) {
            throw new IllegalStateException("the body was parsed once already", e);
        }
    }

    /** An upstream answer with its tokens: what the shared cache holds for /v1. */
    private record Forwarded(TransportResponse answer, Usage usage) implements ReplyCache.Sized {
        /** A whole 2xx answer (only those are cached): status, headers, body and the tokens it cost. */
        static final ReplyCodec<Forwarded> CODEC = new ReplyCodec<>() {
            private static final int VERSION = 1;

            @Override
            public byte[] encode(Forwarded forwarded) {
                TransportResponse answer = forwarded.answer();
                return ReplyCodec.bytes(out -> {
                    out.writeByte(VERSION);
                    out.writeShort(answer.status());
                    out.writeInt(answer.headers().size());
                    for (java.util.Map.Entry<String, String> header : answer.headers().entrySet()) {
                        ReplyCodec.writeText(out, header.getKey());
                        ReplyCodec.writeText(out, header.getValue());
                    }
                    ReplyCodec.writeBlock(out, answer.body());
                    out.writeLong(forwarded.usage().promptTokens());
                    out.writeLong(forwarded.usage().completionTokens());
                });
            }

            @Override
            public Forwarded decode(byte[] bytes) throws IOException {
                java.io.DataInputStream in = ReplyCodec.reader(bytes);
                if (in.readByte() != VERSION) {
                    throw new IOException("not a cached /v1 answer of this version");
                }
                int status = in.readShort();
                int count = in.readInt();
                if (count < 0 || count > in.available()) {
                    throw new IOException("a header count of " + count);
                }
                java.util.Map<String, String> headers = new java.util.HashMap<>();
                for (int i = 0; i < count; i++) {
                    headers.put(ReplyCodec.readText(in), ReplyCodec.readText(in));
                }
                byte[] body = ReplyCodec.readBlock(in);
                Usage usage = new Usage(in.readLong(), in.readLong());
                return new Forwarded(new TransportResponse(status, java.util.Map.copyOf(headers), body), usage);
            }
        };

        static Forwarded of(TransportResponse answer) {
            Usage usage = Usage.UNKNOWN;
            try {
                usage = Usage.of(Json.parse(answer.body()));
            } catch (IOException e) {
                // an answer that is not JSON is passed on all the same; it has no tokens to count
            }
            return new Forwarded(answer, usage);
        }

        long totalTokens() {
            return Math.max(0, usage.promptTokens()) + Math.max(0, usage.completionTokens());
        }

        @Override
        public long bytes() {
            return 256L + answer.body().length;
        }
    }

    /** A whole answer: 2xx and OpenAI-shaped 4xx errors pass through, anything else is the sidecar's 502. */
    private void whole(ServerResponse res, long start, String action, ChatRequest request, TransportResponse answer,
                       Usage usage, boolean cached) {
        boolean passOn = answer.ok() || (answer.status() < 500 && client.get().upstreamMessage(answer).isPresent());
        if (!passOn) {
            fail(res, start, action, request, OpenAiError.of(client.get().statusFailure(answer, 1)));
            return;
        }
        res.status(Status.create(answer.status()));
        res.header(HeaderNames.CONTENT_TYPE, answer.header("content-type").orElse("application/json"));
        res.send(answer.body());
        String code = answer.ok() ? "ok" : OpenAiError.of(client.get().statusFailure(answer, 1)).code().wire();
        AccessLog.record("v1", action, user(request), model(request), code, answer.status(), millisSince(start), usage,
                cached);
    }

    private void stream(ServerResponse res, long start, String action, ChatRequest request, TransportResponse answer)
            throws IOException {
        String user = CostControl.identity(request.user());
        if (answer.stream() == null) {
            Forwarded forwarded = Forwarded.of(answer);
            costs.charge(user, forwarded.totalTokens());
            whole(res, start, action, request, answer, forwarded.usage(), false);
            return;
        }
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderValues.CACHE_NO_CACHE);
        SseRelay.Result result;
        try (OutputStream out = GuardedConnection.streaming(res.outputStream())) {
            result = relay.relay(answer.stream(), out, request.clientWantsUsage());
        } catch (RuntimeException e) {
            result = new SseRelay.Result(SseRelay.CLIENT_CLOSED, Usage.UNKNOWN); // closing a dead connection
        }
        costs.charge(user, new Forwarded(answer, result.usage()).totalTokens());
        AccessLog.record("v1", action, request.user(), request.upstreamModel(), result.code(), 200, millisSince(start),
                result.usage());
    }

    /** A bug: logged with its stack trace, answered in OpenAI's shape (not Helidon's plain-text 500). */
    private static void internal(ServerResponse res, long start, String action, ChatRequest request, RuntimeException e) {
        LOG.error("unexpected failure in {}", action, e);
        if (!res.isSent()) {
            fail(res, start, action, request, new OpenAiError(500, ErrorCode.INTERNAL, "internal error ("
                    + e.getClass().getSimpleName() + "); see the sidecar log"));
        }
    }

    private void notConfigured(ServerResponse res, long start, String action, ChatRequest request) {
        fail(res, start, action, request, new OpenAiError(503, ErrorCode.NOT_CONFIGURED, NOT_CONFIGURED));
    }

    private static void fail(ServerResponse res, long start, String action, ChatRequest request, OpenAiError error) {
        boolean retrySoon = error.status() == 429 || error.code() == ErrorCode.UNAVAILABLE;
        if (retrySoon && error.code() != ErrorCode.QUOTA_EXCEEDED) { // a refused quota names its own wait
            res.header(HeaderNames.RETRY_AFTER, "1");
        }
        JsonReplies.send(res, error.status(), error.toJson());
        AccessLog.record("v1", action, user(request), model(request), error.code().wire(), error.status(),
                millisSince(start), Usage.UNKNOWN);
    }

    /** The body's {@code user}; null for a request not (yet) read. */
    private static String user(ChatRequest request) {
        return request == null ? null : request.user();
    }

    /** The model forwarded upstream; null for a request not (yet) read. */
    private static String model(ChatRequest request) {
        return request == null ? null : request.upstreamModel();
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
