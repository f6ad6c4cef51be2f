package org.openaimoodle.sidecar.worker.log;

import org.openaimoodle.sidecar.common.SecretMasker;

/**
 * Text that goes into a log line: control characters escaped and length capped. Every control character
 * (C0 including tab, DEL, C1) and the Unicode line and paragraph separators become a visible escape
 * ({@code \n}, {@code \r}, {@code \t}, {@code \u001b}, …), so text from a client or an upstream cannot
 * start a line that looks like the supervisor's, nor clear or retitle a terminal. Past the cap the text
 * ends with {@code … [truncated N chars]}, N counting the characters left out. Secrets are scrubbed from the
 * whole text before it is cut, so a key that straddles the cut cannot survive as a fragment.
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
            appendEscaped(out, c);
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

    private static void appendEscaped(StringBuilder out, char c) {
        if (!needsEscape(c)) {
            out.append(c);
        } else if (c == '\n') {
            out.append("\\n");
        } else if (c == '\r') {
            out.append("\\r");
        } else if (c == '\t') {
            out.append("\\t");
        } else {
            out.append("\\u").append(Character.forDigit(c >> 12 & 0xF, 16)).append(Character.forDigit(c >> 8 & 0xF, 16))
                    .append(Character.forDigit(c >> 4 & 0xF, 16)).append(Character.forDigit(c & 0xF, 16));
        }
    }

    static boolean needsEscape(char c) {
        return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\u2028' || c == '\u2029';
    }
}
