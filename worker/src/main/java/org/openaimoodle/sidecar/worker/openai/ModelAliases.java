package org.openaimoodle.sidecar.worker.openai;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code SIDECAR_MODEL_ALIASES}: which model a /v1 request's {@code model} becomes upstream, e.g.
 * {@code gpt-4o=adorsys,*=adorsys} — Moodle's form offers OpenAI's names, the upstream may serve others.
 * {@code *} stands for every name not listed; without it, unlisted names pass through.
 */
public final class ModelAliases {
    /** No aliases: every model passes through. */
    public static final ModelAliases NONE = new ModelAliases(Map.of(), null);

    private final Map<String, String> exact;
    private final String fallback;

    private ModelAliases(Map<String, String> exact, String fallback) {
        this.exact = exact;
        this.fallback = fallback;
    }

    /**
     * @param entries {@code name=target} entries (the setting's comma-separated list)
     * @return the aliases
     * @throws IllegalArgumentException naming an entry that is not {@code name=target}
     */
    public static ModelAliases parse(List<String> entries) {
        Map<String, String> exact = new LinkedHashMap<>();
        String fallback = null;
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            String name = eq < 0 ? "" : entry.substring(0, eq).strip();
            String target = eq < 0 ? "" : entry.substring(eq + 1).strip();
            if (name.isEmpty() || target.isEmpty() || target.contains("=")) {
                throw new IllegalArgumentException("entry " + (entries.indexOf(entry) + 1) + " is not name=model");
            }
            if (name.equals("*")) {
                fallback = target;
            } else {
                exact.put(name, target);
            }
        }
        return exact.isEmpty() && fallback == null ? NONE : new ModelAliases(Map.copyOf(exact), fallback);
    }

    /** @return the model to send upstream instead of {@code model}, if it is to be replaced */
    public Optional<String> replacement(String model) {
        String target = model == null ? null : exact.get(model);
        if (target == null) {
            target = fallback;
        }
        return target == null || target.equals(model) ? Optional.empty() : Optional.of(target);
    }
}
