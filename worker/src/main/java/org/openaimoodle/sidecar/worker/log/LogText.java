package org.openaimoodle.sidecar.worker.log;

import org.openaimoodle.sidecar.common.ControlCharacters;

/**
 * Text that goes into a log line: control characters escaped ({@link ControlCharacters}, tab included) and
 * length capped. Past the cap the text ends with {@code … [truncated N chars]}, N counting the characters
 * left out.
 */
final class LogText {
    private LogText() {
    }

    /**
     * Appends {@code text} escaped, at most {@code max} characters of escaped output plus the marker.
     *
     * @return whether all of it fitted
     */
    static boolean append(StringBuilder out, String text, int max) {
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
