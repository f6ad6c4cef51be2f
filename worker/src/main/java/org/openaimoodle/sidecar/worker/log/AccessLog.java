package org.openaimoodle.sidecar.worker.log;

import org.openaimoodle.sidecar.worker.upstream.Usage;
import org.openaimoodle.sidecar.worker.usage.UsageRecord;
import org.openaimoodle.sidecar.worker.usage.UsageRecorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per /ai and /v1 request, in HTTP and stdio mode alike (docs/internals.md):
 * {@code INFO access: action=chat user_id=42 code=ok status=200 duration_ms=812 prompt_tokens=25
 * completion_tokens=130} ({@code -} for tokens the upstream did not report; {@code cached=true} appended for a reply
 * from the shared cache, with 0 tokens). The same call hands the
 * request's {@link UsageRecord} to the installed {@link UsageRecorder}, so every logged request is accounted
 * and no endpoint has a second call to forget.
 */
public final class AccessLog {
    private static final Logger LOG = LoggerFactory.getLogger("access");
    private static final int MAX_FIELD = 64;

    private static volatile UsageRecorder usage = UsageRecorder.NONE;

    private AccessLog() {
    }

    /** @param recorder where the usage of every request recorded from now on goes (the worker's store) */
    public static void recordUsageTo(UsageRecorder recorder) {
        usage = recorder;
    }

    /**
     * The access line and the usage record of a request whose reply was not served from the cache.
     *
     * @see #record(String, String, String, String, String, int, long, Usage, boolean)
     */
    public static void record(String endpoint, String action, String userId, String model, String code, int status,
                              long durationMs, Usage usage) {
        record(endpoint, action, userId, model, code, status, durationMs, usage, false);
    }

    /**
     * @param endpoint   {@code ai}, {@code v1} or {@code stdio}
     * @param action     the requested action as sent, or null
     * @param userId     the user id as sent, or null
     * @param model      the model sent upstream, or null when none was
     * @param code       {@code ok} or the error code
     * @param status     the HTTP status the reply has (or would have over HTTP)
     * @param durationMs time from request to reply
     * @param usage      the tokens the upstream counted
     * @param cached     whether the reply came from the shared cache: {@code cached=true} ends the line, and the
     *                   record has 0 tokens whatever {@code usage} says
     */
    public static void record(String endpoint, String action, String userId, String model, String code, int status,
                              long durationMs, Usage usage, boolean cached) {
        line(action, userId, code, status, durationMs, cached ? new Usage(0, 0) : usage, cached);
        AccessLog.usage.record(new UsageRecord(System.currentTimeMillis(),
                userId == null || userId.isEmpty() ? UsageRecord.ANONYMOUS : userId, endpoint,
                action == null ? "-" : action, model == null ? "-" : model,
                cached ? 0 : Math.max(0, usage.promptTokens()), cached ? 0 : Math.max(0, usage.completionTokens()),
                cached, code, durationMs));
    }

    /**
     * The access line of a request that is no usage: {@code GET /v1/models} lists the models, costs no tokens and
     * answers no question, so it is logged but neither recorded nor counted by the limits.
     */
    public static void recordWithoutUsage(String action, String code, int status, long durationMs) {
        line(action, null, code, status, durationMs, Usage.UNKNOWN, false);
    }

    private static void line(String action, String userId, String code, int status, long durationMs, Usage usage,
                             boolean cached) {
        if (cached) {
            LOG.info("action={} user_id={} code={} status={} duration_ms={} prompt_tokens={} completion_tokens={} "
                            + "cached=true", field(action), field(userId), code, status, durationMs,
                    count(usage.promptTokens()), count(usage.completionTokens()));
        } else {
            LOG.info("action={} user_id={} code={} status={} duration_ms={} prompt_tokens={} completion_tokens={}",
                    field(action), field(userId), code, status, durationMs, count(usage.promptTokens()),
                    count(usage.completionTokens()));
        }
    }

    private static String count(long tokens) {
        return tokens < 0 ? "-" : Long.toString(tokens);
    }

    /** Client-supplied text goes into the log: keep it one short token so lines stay parseable. */
    static String field(String value) {
        if (value == null || value.isEmpty()) {
            return "-";
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), MAX_FIELD));
        for (int i = 0; i < value.length() && out.length() < MAX_FIELD; i++) {
            char c = value.charAt(i);
            out.append(Character.isWhitespace(c) || Character.isISOControl(c) || c == '=' ? '_' : c);
        }
        return out.toString();
    }
}
