package org.openaimoodle.sidecar.worker.metrics;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.openaimoodle.sidecar.worker.action.ErrorCode;

/**
 * Keeps every label's values a small known set, whatever clients send: each series costs memory in the worker and
 * in Prometheus, and a client must not be able to create them at will. An action or code outside the known ones is
 * {@value #OTHER}; models (a /v1 client may name any) are the first {@code maxModels} distinct ones the upstream
 * answered for, cut to {@value #MAX_MODEL_CHARS} characters, then {@value #OTHER}. No label ever holds a user id.
 */
public final class LabelValues {
    /** The value of anything outside the known set. */
    public static final String OTHER = "other";
    /** Longest model label kept. */
    static final int MAX_MODEL_CHARS = 64;

    private static final Set<String> ENDPOINTS = Set.of("ai", "v1");
    /** /ai's actions, /v1's own, and the Moodle AI provider's (README, "Moodle core AI through the sidecar"). */
    private static final Set<String> ACTIONS = Set.of("chat", "summarize", "analyze", "v1", "moodle/generate_text",
            "moodle/summarise_text", "moodle/explain_text");

    private final Set<String> actions;
    private final Set<String> codes;
    private final int maxModels;
    private final Set<String> models = ConcurrentHashMap.newKeySet();

    /**
     * @param moreActions actions the administrator named (SIDECAR_CACHE_ACTIONS), known as well
     * @param maxModels   distinct model labels at most (SIDECAR_METRICS_MAX_MODELS)
     */
    public LabelValues(Collection<String> moreActions, int maxModels) {
        Set<String> known = new HashSet<>(ACTIONS);
        known.addAll(moreActions);
        this.actions = Set.copyOf(known);
        Set<String> allCodes = new HashSet<>();
        allCodes.add("ok");
        for (ErrorCode code : ErrorCode.values()) {
            allCodes.add(code.wire());
        }
        this.codes = Set.copyOf(allCodes);
        this.maxModels = maxModels;
    }

    /** @return {@code ai}, {@code v1} or {@value #OTHER} */
    public String endpoint(String endpoint) {
        return known(ENDPOINTS, endpoint);
    }

    /** @return a known action or {@value #OTHER} */
    public String action(String action) {
        return known(actions, action);
    }

    /** @return {@code ok}, an error code of the README or {@value #OTHER} */
    public String code(String code) {
        return known(codes, code);
    }

    /**
     * @param model the model the upstream answered for; call only for replies the upstream counted tokens for, so
     *              that a name the upstream rejects takes no place
     * @return the model cut to {@value #MAX_MODEL_CHARS} characters while fewer than {@code maxModels} are known, a
     *         known one, else {@value #OTHER}
     */
    public String model(String model) {
        if (model == null || model.isEmpty()) {
            return OTHER;
        }
        String cut = model.length() <= MAX_MODEL_CHARS ? model : model.substring(0, MAX_MODEL_CHARS);
        if (models.contains(cut)) {
            return cut;
        }
        synchronized (models) { // the bound must hold when new models arrive at the same moment
            if (models.size() < maxModels) {
                models.add(cut);
                return cut;
            }
        }
        return OTHER;
    }

    private static String known(Set<String> values, String value) {
        return value != null && values.contains(value) ? value : OTHER;
    }
}
