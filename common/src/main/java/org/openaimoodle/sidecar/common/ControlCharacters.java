package org.openaimoodle.sidecar.common;

/**
 * The one escaping of text for log lines and terminals: every control character (C0, DEL, C1) and the Unicode
 * line and paragraph separators become a visible escape ({@code \n}, {@code \r}, {@code \t}, {@code \u001b},
 * …), so text from a client or an upstream cannot start a line that looks like one of ours, nor clear or
 * retitle the terminal of whoever reads the log. The worker escapes tabs too (its lines hold one message);
 * the supervisor keeps them, as they start the continuation lines of a stack trace and cannot end a line.
 */
public final class ControlCharacters {
    private ControlCharacters() {
    }

    /** @return whether {@code c} is shown as an escape (tab included) */
    public static boolean needsEscape(char c) {
        return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\u2028' || c == '\u2029';
    }

    /** Appends {@code c}, escaped when {@link #needsEscape} says so. */
    public static void appendEscaped(StringBuilder out, char c) {
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

    /** @return {@code text} with control characters but tab escaped; the same string when there are none */
    public static String escapeKeepingTabs(String text) {
        int first = 0;
        while (first < text.length() && !escapedBesidesTab(text.charAt(first))) {
            first++;
        }
        if (first == text.length()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (escapedBesidesTab(c)) {
                appendEscaped(out, c);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean escapedBesidesTab(char c) {
        return c != '\t' && needsEscape(c);
    }
}
