package org.openaimoodle.sidecar.worker.usage;

/**
 * One answered request, as the usage store keeps it (DESIGN.md, "Limits, shared cache and usage accounting").
 *
 * @param timeMs           when it was answered, epoch milliseconds
 * @param user             {@code user_id} of /ai or {@code user} of /v1; {@code anonymous} when absent
 * @param endpoint         {@code ai}, {@code v1} or {@code stdio}
 * @param action           the action ({@code chat}, {@code v1}, {@code moodle/summarise_text}, …); {@code -} if unknown
 * @param model            the model sent upstream; {@code -} when none was
 * @param promptTokens     prompt tokens the upstream counted (0 when it reported none)
 * @param completionTokens completion tokens the upstream counted (0 when it reported none)
 * @param cached           whether the reply came from the cache
 * @param code             {@code ok} or the error code
 * @param durationMs       time from request to reply
 */
public record UsageRecord(long timeMs, String user, String endpoint, String action, String model, long promptTokens,
                          long completionTokens, boolean cached, String code, long durationMs) {
    /** The identity of a request that named no user. */
    public static final String ANONYMOUS = "anonymous";
    /**
     * Longest text kept per field: user, action and model come from the client, and a queue of records must not
     * hold request bodies.
     */
    public static final int MAX_TEXT = 256;

    /** Cuts the client's texts to {@link #MAX_TEXT}. */
    public UsageRecord {
        user = cut(user);
        action = cut(action);
        model = cut(model);
    }

    private static String cut(String text) {
        return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT);
    }
}
