package org.openaimoodle.sidecar.worker.upstream;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import org.openaimoodle.sidecar.common.SecretMasker;
import org.openaimoodle.sidecar.worker.json.Json;
import org.openaimoodle.sidecar.worker.memory.MemoryBudget;
import org.openaimoodle.sidecar.worker.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one upstream client. {@link #complete} calls {@code POST …/chat/completions} and returns
 * {@code choices[0].message.content} (/ai, stdio); {@link #forward}, {@link #forwardStream} and {@link #models}
 * pass an OpenAI client's request on (/v1). All of them go through {@link #exchange}: retries by
 * {@link RetryPolicy} within the request's {@link Deadline}, every failure an {@link UpstreamException} whose
 * message carries the upstream's {@code error.message} but never the key.
 */
public final class ChatCompletionsClient {
    private static final Logger LOG = LoggerFactory.getLogger("upstream");
    /** Longest upstream error text passed on to the client and the log. */
    private static final int MAX_UPSTREAM_MESSAGE_CHARS = 500;

    private final UpstreamTransport transport;
    private final URI uri;
    private final URI modelsUri;
    private final String apiKey;
    private final String model;
    private final RetryPolicy policy;
    private final SecretMasker masker;
    private final Metrics metrics;

    /**
     * @param transport how bytes travel (it holds the connect timeout and the answer size bound)
     * @param uri       the normalized endpoint
     * @param apiKey    sent as {@code Authorization: Bearer}
     * @param model     the model name
     * @param policy    retry policy
     */
    public ChatCompletionsClient(UpstreamTransport transport, URI uri, String apiKey, String model,
                                 RetryPolicy policy) {
        this(transport, uri, apiKey, model, policy, Metrics.NONE);
    }

    /**
     * As above, counting every attempt in {@code metrics}.
     *
     * @param metrics where each attempt's outcome is counted
     */
    public ChatCompletionsClient(UpstreamTransport transport, URI uri, String apiKey, String model,
                                 RetryPolicy policy, Metrics metrics) {
        this.metrics = metrics;
        this.transport = transport;
        this.uri = uri;
        this.modelsUri = ChatCompletionsUrl.models(uri);
        this.apiKey = apiKey;
        this.model = model;
        this.policy = policy;
        String[] credentials = SecretMasker.urlCredentials(uri.toString());
        this.masker = SecretMasker.of(apiKey, credentials.length > 0 ? credentials[0] : null,
                credentials.length > 1 ? credentials[1] : null);
    }

    /**
     * @param messages  the conversation
     * @param maxTokens {@code max_tokens}
     * @param deadline  when the whole request must be answered
     * @return the model's text and the tokens the upstream counted
     * @throws UpstreamException when no text could be obtained in time
     */
    public Completion complete(List<ChatMessage> messages, int maxTokens, Deadline deadline) throws UpstreamException {
        byte[] body = requestBody(messages, maxTokens);
        TransportResponse response = exchange(deadline,
                remaining -> transport.post(uri, headers("application/json"), body, remaining));
        if (!response.ok()) {
            throw statusFailure(response, 1);
        }
        return content(response);
    }

    /**
     * Forwards a Chat Completions body as it is ({@code POST /v1/chat/completions}).
     *
     * @return a 2xx answer, or a non-2xx one not worth a retry (the caller decides what its client sees)
     * @throws UpstreamException as {@link #exchange}
     */
    public TransportResponse forward(byte[] body, Deadline deadline) throws UpstreamException {
        return exchange(deadline, remaining -> transport.post(uri, headers("application/json"), body, remaining));
    }

    /**
     * Forwards a streaming Chat Completions body; retried only until the first bytes of the body arrive.
     *
     * @param idleTimeout longest silence between two reads of the stream
     * @return a 2xx answer with its open stream (close it), or a non-2xx one read whole
     * @throws UpstreamException as {@link #exchange}
     */
    public TransportResponse forwardStream(byte[] body, Deadline deadline, Duration idleTimeout)
            throws UpstreamException {
        return exchange(deadline, remaining -> transport.openStream(uri, headers("text/event-stream"), body, remaining,
                idleTimeout));
    }

    /** @return the upstream's model list ({@code GET …/models}), as {@link #forward} */
    public TransportResponse models(Deadline deadline) throws UpstreamException {
        return exchange(deadline, remaining -> transport.get(modelsUri, headers("application/json"), remaining));
    }

    /** One attempt of an exchange, given the time left. */
    @FunctionalInterface
    public interface Attempt {
        /** @return the upstream's response */
        TransportResponse send(Duration remaining) throws IOException;
    }

    /**
     * The one retrying upstream exchange, behind {@code /ai}, stdio and {@code /v1} alike: retries by
     * {@link RetryPolicy} (honouring {@code Retry-After}) within the deadline.
     *
     * @return the first 2xx response, or the first whose status is not worth a retry
     * @throws UpstreamException when the deadline passed ({@code TIMEOUT}), the upstream stayed unreachable, its
     *                           answer was too large, or a retryable status (429, 5xx, …) outlasted the retries
     */
    public TransportResponse exchange(Deadline deadline, Attempt attempt) throws UpstreamException {
        for (int tries = 1; ; tries++) {
            UpstreamException failure;
            Optional<Duration> hint = Optional.empty();
            Duration remaining = deadline.remaining();
            if (remaining.isZero()) {
                throw timeout(deadline, tries - 1);
            }
            try {
                TransportResponse response = attempt.send(remaining);
                metrics.upstreamAttempt(Metrics.Attempt.ofStatus(response.status()));
                if (response.ok() || !RetryPolicy.retryableStatus(response.status())) {
                    return response;
                }
                failure = statusFailure(response, tries);
                hint = RetryPolicy.serverHint(response.header("retry-after-ms"), response.header("retry-after"),
                        Instant.now());
            } catch (ReplyTooLargeException e) {
                metrics.upstreamAttempt(Metrics.Attempt.TOO_LARGE);
                // Asking again would fetch the same oversized answer.
                throw new UpstreamException(UpstreamException.Kind.ERROR, "the AI service sent an answer larger "
                        + "than " + e.limit() + " bytes (SIDECAR_MAX_UPSTREAM_REPLY_BYTES); lower MAX_TOKENS or "
                        + "raise the limit", tries);
            } catch (MemoryBudget.Exhausted e) {
                metrics.upstreamAttempt(Metrics.Attempt.NO_MEMORY);
                // The answer is there, the room for it is not: a retry would fetch (and pay for) it again.
                throw new UpstreamException(UpstreamException.Kind.BUSY, "the sidecar has no memory left for the "
                        + "AI service's answer right now (SIDECAR_MEMORY_BUDGET_PERCENT); retry in a moment", tries);
            } catch (IOException e) {
                // Whatever broke once the deadline had passed (a read timeout, a connect cut short, a socket
                // closed at the deadline) is the deadline's doing; earlier, a connection failure is retried.
                failure = deadline.remaining().isZero() ? timeout(deadline, tries) : unreachable(e, tries);
                metrics.upstreamAttempt(failure.kind() == UpstreamException.Kind.TIMEOUT ? Metrics.Attempt.TIMEOUT
                        : Metrics.Attempt.UNREACHABLE);
            }
            Optional<Duration> delay = policy.delayBeforeRetry(tries - 1, hint, deadline.remaining(),
                    ThreadLocalRandom.current().nextDouble());
            if (delay.isEmpty()) {
                throw failure;
            }
            LOG.info("attempt {} failed ({}); retrying in {} ms", tries, failure.getMessage(),
                    delay.get().toMillis());
            try {
                Thread.sleep(delay.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure;
            }
        }
    }

    private Map<String, String> headers(String accept) {
        return Map.of(
                "Content-Type", "application/json",
                "Accept", accept,
                "Authorization", "Bearer " + apiKey);
    }

    private byte[] requestBody(List<ChatMessage> messages, int maxTokens) {
        long hint = 256;
        for (ChatMessage message : messages) {
            hint += message.content().length() + 32;
        }
        return Json.toBytes((int) Math.min(hint, Integer.MAX_VALUE - 8), out -> {
            out.writeStartObject();
            out.writeStringField("model", model);
            out.writeArrayFieldStart("messages");
            for (ChatMessage message : messages) {
                out.writeStartObject();
                out.writeStringField("role", message.role());
                out.writeStringField("content", message.content());
                out.writeEndObject();
            }
            out.writeEndArray();
            out.writeNumberField("max_tokens", maxTokens);
            out.writeEndObject();
        });
    }

    private Completion content(TransportResponse response) throws UpstreamException {
        Object root = parse(response.body());
        if (root == null) {
            throw new UpstreamException(UpstreamException.Kind.ERROR, "the AI service sent an unreadable answer "
                    + "(HTTP " + response.status() + ", not JSON)", 1);
        }
        if (!(Json.path(root, "choices", 0, "message", "content") instanceof String content)) {
            throw new UpstreamException(UpstreamException.Kind.ERROR, "No response content found", 1);
        }
        return new Completion(content, Usage.of(root));
    }

    /**
     * @param response a non-2xx answer
     * @param attempts how many attempts were made, for the message
     * @return the failure it stands for, with the upstream's {@code error.message} (scrubbed, capped)
     */
    public UpstreamException statusFailure(TransportResponse response, int attempts) {
        int status = response.status();
        String detail = upstreamMessage(response).map(m -> ": " + m).orElse("");
        return switch (status) {
            case 401, 403 -> new UpstreamException(UpstreamException.Kind.AUTH, "the AI service rejected the "
                    + "API key (HTTP " + status + ")" + detail + "; check OPENAI_API_KEY", attempts);
            case 429 -> new UpstreamException(UpstreamException.Kind.RATE_LIMITED, "the AI service is rate "
                    + "limiting requests (HTTP 429, " + attempts + " attempts)" + detail + "; try again later",
                    attempts);
            default -> new UpstreamException(UpstreamException.Kind.ERROR, "the AI service answered HTTP "
                    + status + detail, attempts);
        };
    }

    /** @return the answer's {@code error.message}, scrubbed of secrets and capped, when it has one */
    public Optional<String> upstreamMessage(TransportResponse response) {
        if (!(Json.path(parse(response.body()), "error", "message") instanceof String message)
                || message.isBlank()) {
            return Optional.empty();
        }
        // Scrubbed before it is cut: a key cut in half would no longer be recognised.
        return Optional.of(masker.scrubAndCap(message.strip(), MAX_UPSTREAM_MESSAGE_CHARS));
    }

    /** @return the failure of a request whose deadline passed, naming SIDECAR_REQUEST_TIMEOUT */
    public UpstreamException timeout(Deadline deadline, int attempts) {
        return new UpstreamException(UpstreamException.Kind.TIMEOUT, "the AI service did not answer within "
                + seconds(deadline.total()) + " s (SIDECAR_REQUEST_TIMEOUT); try again later", attempts);
    }

    private UpstreamException unreachable(IOException e, int attempts) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // Host and port only: the authority would include user:password of OPENAI_BASE_URL.
        String where = uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        return new UpstreamException(UpstreamException.Kind.UNREACHABLE, "cannot reach the AI service at "
                + where + " (" + masker.scrubAndCap(reason, MAX_UPSTREAM_MESSAGE_CHARS)
                + "); check OPENAI_BASE_URL and the network", attempts);
    }

    /** @return the body's JSON object, or null when the body is not one */
    private static Object parse(byte[] body) {
        try {
            Object value = Json.parse(body);
            return value instanceof java.util.Map<?, ?> ? value : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String seconds(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : Double.toString(millis / 1000.0);
    }
}
