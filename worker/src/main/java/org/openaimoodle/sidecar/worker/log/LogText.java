package org.openaimoodle.sidecar.worker.log;

import org.openaimoodle.sidecar.common.ControlCharacters;
import org.openaimoodle.sidecar.common.SecretMasker;

/**
 * Text that goes into a log line: control characters escaped ({@link ControlCharacters}, tab included) and
 * length capped. Past the cap the text ends with {@code … [truncated N chars]}, N counting the characters
 * left out. Secrets are scrubbed from the whole text before it is cut, so a key that straddles the cut cannot
 * survive as a fragment.
 */
final class LogText {
    private static volatile SecretMasker masker = SecretMasker.none();

    private LogText() {
    }

    /** @param secrets the masker that knows this process's key, token and URL credentials */
    static void mask(SecretMasker secrets) {
        masker = secrets;
    }

    /**
     * Appends {@code text} escaped, at most {@code max} characters of escaped output plus the marker.
     *
     * @return whether all of it fitted
     */
    static boolean append(StringBuilder out, String raw, int max) {
        String text = masker.scrub(raw);
        int budget = out.length() + max;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int before = out.length();
            ControlCharacters.appendEscaped(out, c);
            if (out.length() > budget) {
                out.setLength(before);
                int left = text.length() - i;
                if (before > 0 && Character.isHighSurrogate(out.charAt(before - 1))) {
                    out.setLength(before - 1); // never half a character
                    left++;
                }
                out.append("… [truncated ").append(left).append(" chars]");
                return false;
            }
        }
        return true;
    }
}
