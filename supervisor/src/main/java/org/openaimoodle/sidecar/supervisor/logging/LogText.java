package org.openaimoodle.sidecar.supervisor.logging;

/**
 * Makes text safe to write as one log line and to show on a terminal: every control character (C0 but
 * tab, DEL, C1) and the Unicode line and paragraph separators become a visible escape ({@code \n},
 * {@code \r}, {@code \u001b}, …), so a client or an upstream cannot start a line that looks like the
 * supervisor's, nor clear or retitle the terminal of whoever runs {@code sidecarctl logs}. The worker
 * escapes its messages the same way; this is the last line of defence for whatever it did not.
 */
final class LogText {
    private LogText() {
    }

    /** {@code text} with control characters escaped; the same string when there are none. */
    static String escape(String text) {
        int first = 0;
        while (first < text.length() && !needsEscape(text.charAt(first))) {
            first++;
        }
        if (first == text.length()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!needsEscape(c)) {
                out.append(c);
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.toString();
    }

    /** Tab stays: it starts the continuation lines of a stack trace and cannot end a line. */
    static boolean needsEscape(char c) {
        return (c < 0x20 && c != '\t') || (c >= 0x7F && c <= 0x9F) || c == '\u2028' || c == '\u2029';
    }
}
