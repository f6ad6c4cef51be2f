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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls {@code POST …/chat/completions} and returns {@code choices[0].message.content}: retries by
 * {@link RetryPolicy} within the request's {@link Deadline}, and maps every failure to an
 * {@link UpstreamException} whose message carries the upstream's {@code error.message} but never the key.
 */
public final class ChatCompletionsClient {
    private static final Logger LOG = LoggerFactory.getLogger("upstream");
    /** Longest upstream error text passed on to the client and the log. */
    private static final int MAX_UPSTREAM_MESSAGE_CHARS = 500;

    private final UpstreamTransport transport;
    private final URI uri;
    private final String apiKey;
    private final String model;
    private final RetryPolicy policy;
    private final SecretMasker masker;

    /**
     * @param transport how bytes travel (it holds the connect timeout and the answer size bound)
     * @param uri       the normalized endpoint
     * @param apiKey    sent as {@code Authorization: Bearer}
     * @param model     the model name
     * @param policy    retry policy
     */
    public ChatCompletionsClient(UpstreamTransport transport, URI uri, String apiKey, String model,
                                 RetryPolicy policy) {
        this.transport = transport;
        this.uri = uri;
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
     * @return the model's text
     * @throws UpstreamException when no text could be obtained in time
     */
    public String complete(List<ChatMessage> messages, int maxTokens, Deadline deadline) throws UpstreamException {
        byte[] body = requestBody(messages, maxTokens);
        Map<String, String> headers = Map.of(
                "Content-Type", "application/json",
                "Accept", "application/json",
                "Authorization", "Bearer " + apiKey);
        for (int attempt = 1; ; attempt++) {
            UpstreamException failure;
            Optional<Duration> hint = Optional.empty();
            Duration remaining = deadline.remaining();
            if (remaining.isZero()) {
                throw timeout(deadline, attempt - 1);
            }
            try {
                TransportResponse response = transport.post(uri, headers, body, remaining);
                if (response.status() / 100 == 2) {
                    return content(response, attempt);
                }
                failure = statusFailure(response, attempt);
                if (!RetryPolicy.retryableStatus(response.status())) {
                    throw failure;
                }
                hint = RetryPolicy.serverHint(response.header("retry-after-ms"), response.header("retry-after"),
                        Instant.now());
            } catch (ReplyTooLargeException e) {
                // Asking again would fetch the same oversized answer.
                throw new UpstreamException(UpstreamException.Kind.ERROR, "the AI service sent an answer larger "
                        + "than " + e.limit() + " bytes (SIDECAR_MAX_UPSTREAM_REPLY_BYTES); lower MAX_TOKENS or "
                        + "raise the limit", attempt);
            } catch (MemoryBudget.Exhausted e) {
                // The answer is there, the room for it is not: a retry would fetch (and pay for) it again.
                throw new UpstreamException(UpstreamException.Kind.BUSY, "the sidecar has no memory left for the "
                        + "AI service's answer right now (SIDECAR_MEMORY_BUDGET_PERCENT); retry in a moment", attempt);
            } catch (IOException e) {
                // Whatever broke once the deadline had passed (a read timeout, a connect cut short, a socket
                // closed at the deadline) is the deadline's doing; earlier, a connection failure is retried.
                failure = deadline.remaining().isZero() ? timeout(deadline, attempt) : unreachable(e, attempt);
            }
            Optional<Duration> delay = policy.delayBeforeRetry(attempt - 1, hint, deadline.remaining(),
                    ThreadLocalRandom.current().nextDouble());
            if (delay.isEmpty()) {
                throw failure;
            }
            LOG.info("attempt {} failed ({}); retrying in {} ms", attempt, failure.getMessage(),
                    delay.get().toMillis());
            try {
                Thread.sleep(delay.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure;
            }
        }
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

    private String content(TransportResponse response, int attempts) throws UpstreamException {
        Object root = parse(response.body());
        if (root == null) {
            throw new UpstreamException(UpstreamException.Kind.ERROR, "the AI service sent an unreadable answer "
                    + "(HTTP " + response.status() + ", not JSON)", attempts);
        }
        if (!(Json.path(root, "choices", 0, "message", "content") instanceof String content)) {
            throw new UpstreamException(UpstreamException.Kind.ERROR, "No response content found", attempts);
        }
        return content;
    }

    private UpstreamException statusFailure(TransportResponse response, int attempts) {
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

    private Optional<String> upstreamMessage(TransportResponse response) {
        if (!(Json.path(parse(response.body()), "error", "message") instanceof String message)
                || message.isBlank()) {
            return Optional.empty();
        }
        // Scrubbed before it is cut: a key cut in half would no longer be recognised.
        return Optional.of(masker.scrubAndCap(message.strip(), MAX_UPSTREAM_MESSAGE_CHARS));
    }

    private UpstreamException timeout(Deadline deadline, int attempts) {
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
