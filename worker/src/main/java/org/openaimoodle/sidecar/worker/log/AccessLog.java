package org.openaimoodle.sidecar.worker.log;

import org.openaimoodle.sidecar.worker.upstream.Usage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per /ai and /v1 request, in HTTP and stdio mode alike (docs/internals.md):
 * {@code INFO access: action=chat user_id=42 code=ok status=200 duration_ms=812 prompt_tokens=25
 * completion_tokens=130} ({@code -} for tokens the upstream did not report).
 */
public final class AccessLog {
    private static final Logger LOG = LoggerFactory.getLogger("access");
    private static final int MAX_FIELD = 64;

    private AccessLog() {
    }

    /**
     * @param action     the requested action as sent, or null
     * @param userId     the user id as sent, or null
     * @param code       {@code ok} or the error code
     * @param status     the HTTP status the reply has (or would have over HTTP)
     * @param durationMs time from request to reply
     * @param usage      the tokens the upstream counted
     */
    public static void record(String action, String userId, String code, int status, long durationMs,
                              Usage usage) {
        LOG.info("action={} user_id={} code={} status={} duration_ms={} prompt_tokens={} completion_tokens={}",
                field(action), field(userId), code, status, durationMs, count(usage.promptTokens()),
                count(usage.completionTokens()));
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
