package org.openaimoodle.sidecar.supervisor.logging;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hides API keys in text that is about to be written anywhere: the configured key wherever it
 * appears, and anything shaped like an OpenAI key ({@code sk-…}), so that a key the supervisor does
 * not know about (a worker config file, a pasted curl command) is hidden too. At most
 * {@code sk-…abcd} (the last four characters) remains.
 */
public final class KeyMasker {
    // OpenAI keys: sk-, sk-proj-, sk-svcacct-, … followed by a long token.
    private static final Pattern KEY_SHAPED = Pattern.compile("sk-[A-Za-z0-9_\\-]{8,}");
    private static final int SHORTEST_KEY_WITH_TAIL = 12;

    private final String configuredKey;

    /** @param configuredKey the configured {@code OPENAI_API_KEY}, if any */
    public KeyMasker(Optional<String> configuredKey) {
        this.configuredKey = configuredKey.filter(key -> !key.isBlank()).orElse(null);
    }

    /** {@code text} with every key replaced by its masked form. */
    public String mask(String text) {
        String masked = text;
        if (configuredKey != null && masked.contains(configuredKey)) {
            masked = masked.replace(configuredKey, masked(configuredKey));
        }
        if (masked.contains("sk-")) {
            Matcher matcher = KEY_SHAPED.matcher(masked);
            StringBuilder out = new StringBuilder(masked.length());
            while (matcher.find()) {
                matcher.appendReplacement(out, Matcher.quoteReplacement(masked(matcher.group())));
            }
            matcher.appendTail(out);
            masked = out.toString();
        }
        return masked;
    }

    /** The masked form of one key: {@code sk-…abcd}, or {@code ***} when the key is too short to show a tail. */
    public static String masked(String key) {
        if (key.length() < SHORTEST_KEY_WITH_TAIL) {
            return "***";
        }
        return (key.startsWith("sk-") ? "sk-…" : "…") + key.substring(key.length() - 4);
    }
}
