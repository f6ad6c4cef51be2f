package org.openaimoodle.sidecar.worker.action;

import java.util.List;
import java.util.Optional;

import org.openaimoodle.sidecar.worker.cache.CacheKey;
import org.openaimoodle.sidecar.worker.cache.ReplyCache;
import org.openaimoodle.sidecar.worker.cache.ReplyCodec;
import org.openaimoodle.sidecar.worker.cache.Served;
import org.openaimoodle.sidecar.worker.config.WorkerConfig;
import org.openaimoodle.sidecar.worker.limits.CostControl;
import org.openaimoodle.sidecar.worker.limits.QuotaExceeded;
import org.openaimoodle.sidecar.worker.upstream.ChatCompletionsClient;
import org.openaimoodle.sidecar.worker.upstream.ChatMessage;
import org.openaimoodle.sidecar.worker.upstream.Completion;
import org.openaimoodle.sidecar.worker.upstream.Deadline;
import org.openaimoodle.sidecar.worker.upstream.UpstreamException;
import org.openaimoodle.sidecar.worker.upstream.Usage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three actions — chat, summarize, analyze — behind both HTTP and stdio: request in, reply envelope out.
 * Each request gets one deadline ({@code SIDECAR_REQUEST_TIMEOUT}) shared by all its upstream calls.
 */
public final class ActionService {
    private static final Logger LOG = LoggerFactory.getLogger("worker");

    private final WorkerConfig config;
    private final Optional<ChatCompletionsClient> client;
    private final PromptBuilder prompts;
    private final CostControl costs;

    /**
     * @param config the configuration
     * @param client the upstream client, empty when no API key is configured
     */
    public ActionService(WorkerConfig config, Optional<ChatCompletionsClient> client) {
        this(config, client, CostControl.NONE);
    }

    /**
     * @param config the configuration
     * @param client the upstream client, empty when no API key is configured
     * @param costs  usage limits and the shared cache ({@link CostControl#NONE} in stdio mode)
     */
    public ActionService(WorkerConfig config, Optional<ChatCompletionsClient> client, CostControl costs) {
        this.config = config;
        this.client = client;
        this.prompts = new PromptBuilder(config.prompts());
        this.costs = costs;
    }

    /** @return the usage limits and shared cache, the same for /ai and /v1 */
    public CostControl costs() {
        return costs;
    }

    /** @return the model the actions send upstream (OPENAI_MODEL), for the usage record */
    public String model() {
        return config.model();
    }

    /** @return the upstream client (one per process, shared with /v1), empty when no API key is configured */
    public Optional<ChatCompletionsClient> client() {
        return client;
    }

    /**
     * @param body the raw request (one JSON object)
     * @return the outcome; never throws for bad input or upstream trouble
     */
    public Outcome handle(byte[] body) {
        ActionRequest request;
        try {
            request = ActionRequest.parse(body);
        } catch (ActionRequest.Invalid e) {
            return Outcome.uncached(e.action(), e.userId(), e.reply(), Usage.UNKNOWN);
        }
        String action = request.action().name().toLowerCase(java.util.Locale.ROOT);
        CacheKey key = costs.caches(action) ? key(request, action) : null;
        try {
            Served<Answer> served = costs.serve(CostControl.identity(request.userId()), key, Answer.CODEC,
                    () -> answer(request),
                    answer -> answer.reply().success(), answer -> total(answer.usage()));
            Answer answer = served.value();
            return new Outcome(action, request.userId(), answer.reply(),
                    served.cached() ? new Usage(0, 0) : answer.usage(), served.cached());
        } catch (QuotaExceeded e) {
            return Outcome.uncached(action, request.userId(), Reply.failure(ErrorCode.QUOTA_EXCEEDED,
                    e.getMessage()), Usage.UNKNOWN);
        } catch (UpstreamException e) {
            // answer() reports upstream failures in its reply: this is the limits failing closed (Redis unreachable),
            // answered 200 so that the plugin does not fall back to stdio mode, which has no limits
            return Outcome.uncached(action, request.userId(), Reply.failure(ErrorCode.LIMITS_UNAVAILABLE,
                    e.getMessage()), Usage.UNKNOWN);
        }
    }

    /** A reply with the tokens it cost: what the shared cache holds for /ai. */
    private record Answer(Reply reply, Usage usage) implements ReplyCache.Sized {
        /** Only successes are cached: the text and the tokens it cost. */
        static final ReplyCodec<Answer> CODEC = new ReplyCodec<>() {
            private static final int VERSION = 1;

            @Override
            public byte[] encode(Answer answer) {
                return ReplyCodec.bytes(out -> {
                    out.writeByte(VERSION);
                    out.writeLong(answer.usage().promptTokens());
                    out.writeLong(answer.usage().completionTokens());
                    ReplyCodec.writeText(out, answer.reply().data() == null ? "" : answer.reply().data());
                });
            }

            @Override
            public Answer decode(byte[] bytes) throws java.io.IOException {
                java.io.DataInputStream in = ReplyCodec.reader(bytes);
                if (in.readByte() != VERSION) {
                    throw new java.io.IOException("not a cached /ai reply of this version");
                }
                Usage usage = new Usage(in.readLong(), in.readLong());
                return new Answer(Reply.ok(ReplyCodec.readText(in)), usage);
            }
        };

        @Override
        public long bytes() {
            return 64L + 2L * (reply.data() == null ? 0 : reply.data().length());
        }
    }

    private Answer answer(ActionRequest request) {
        Tally tally = new Tally();
        Reply reply = run(request, tally);
        return new Answer(reply, tally.usage);
    }

    private static long total(Usage usage) {
        return Math.max(0, usage.promptTokens()) + Math.max(0, usage.completionTokens());
    }

    /** The cache key of /ai: the action, the model, max_tokens and the messages the action sends, not the user. */
    private CacheKey key(ActionRequest request, String action) {
        List<ChatMessage> messages = switch (request.action()) {
            case CHAT -> prompts.chat(request.content(),
                    request.context() == null ? null : PromptBuilder.context(request.context()));
            case SUMMARIZE -> prompts.summarize(request.content());
            case ANALYZE -> prompts.analyze(request.content());
        };
        int maxTokens = request.action() == ActionRequest.Action.SUMMARIZE ? config.maxTokens() / 2
                : config.maxTokens();
        CacheKey.Builder key = CacheKey.of("ai").text(action).text(config.model()).number(maxTokens)
                .number(messages.size());
        messages.forEach(message -> key.text(message.role()).text(message.content()));
        return key.build();
    }

    /** The tokens of every upstream call one request made (chat may summarize its context first). */
    private static final class Tally {
        private Usage usage = Usage.UNKNOWN;
    }

    private Reply run(ActionRequest request, Tally tally) {
        String prefix = switch (request.action()) {
            case CHAT -> "Chat error: ";
            case SUMMARIZE -> "Summarization error: ";
            case ANALYZE -> "Analysis error: ";
        };
        if (client.isEmpty()) {
            return Reply.failure(ErrorCode.NOT_CONFIGURED, prefix + "no OpenAI API key is configured; set "
                    + "OPENAI_API_KEY for the sidecar and restart it");
        }
        Deadline deadline = Deadline.after(config.requestTimeout());
        try {
            String text = switch (request.action()) {
                case CHAT -> chat(request, deadline, tally);
                case SUMMARIZE -> summarize(request.content(), deadline, tally);
                case ANALYZE -> call(prompts.analyze(request.content()), config.maxTokens(), deadline, tally);
            };
            return Reply.ok(text);
        } catch (UpstreamException e) {
            return Reply.failure(ErrorCode.of(e.kind()), prefix + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("unexpected failure in {}", request.action(), e);
            return Reply.failure(ErrorCode.INTERNAL, prefix + "internal error (" + e.getClass().getSimpleName()
                    + "); see the sidecar log");
        }
    }

    private String chat(ActionRequest request, Deadline deadline, Tally tally) throws UpstreamException {
        String context = request.context();
        String contextLine = null;
        if (context != null) {
            int threshold = config.summarizeThreshold();
            if (PromptBuilder.longerThan(context, threshold)) {
                try {
                    contextLine = PromptBuilder.contextSummary(summarize(context, deadline, tally));
                } catch (UpstreamException e) {
                    LOG.warn("context summary failed, sending the first {} characters instead: {}", threshold,
                            e.getMessage());
                    contextLine = PromptBuilder.contextTruncated(context, threshold);
                }
            } else {
                contextLine = PromptBuilder.context(context);
            }
        }
        return call(prompts.chat(request.content(), contextLine), config.maxTokens(), deadline, tally);
    }

    private String summarize(String text, Deadline deadline, Tally tally) throws UpstreamException {
        return call(prompts.summarize(text), config.maxTokens() / 2, deadline, tally);
    }

    private String call(List<ChatMessage> messages, int maxTokens, Deadline deadline, Tally tally)
            throws UpstreamException {
        Completion completion = client.orElseThrow().complete(messages, maxTokens, deadline);
        tally.usage = tally.usage.plus(completion.usage());
        return completion.text();
    }
}
