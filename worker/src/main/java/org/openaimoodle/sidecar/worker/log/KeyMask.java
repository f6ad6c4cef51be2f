package org.openaimoodle.sidecar.worker.log;

/**
 * The one place that decides how the API key may appear in output: {@code sk-…abcd} at most (a prefix
 * up to its first dash and the last four characters), and only for keys long enough that this gives
 * nothing away.
 */
public final class KeyMask {
    private KeyMask() {
    }

    /**
     * @param key an API key, may be null
     * @return its masked form, e.g. {@code sk-…abcd}; {@code …} for short keys, {@code none} for null
     */
    public static String mask(String key) {
        if (key == null || key.isEmpty()) {
            return "none";
        }
        if (key.length() < 16) {
            return "…";
        }
        int dash = key.indexOf('-');
        String prefix = dash > 0 && dash <= 4 ? key.substring(0, dash + 1) : "";
        return prefix + "…" + key.substring(key.length() - 4);
    }

    /**
     * Replaces every occurrence of the key in a text (say, an upstream error message that echoes it) by its
     * masked form.
     *
     * @param text a message, may be null
     * @param key  the API key, may be null
     * @return the text without the key
     */
    public static String scrub(String text, String key) {
        if (text == null || key == null || key.length() < 4) {
            return text;
        }
        return text.replace(key, mask(key));
    }
}
