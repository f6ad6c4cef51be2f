package org.openaimoodle.sidecar.common;

import java.util.ArrayList;
import java.util.List;

/**
 * The one place that decides how secrets may appear in output (log lines, replies, error messages).
 * {@link #mask(String)} is the most of a key anyone is shown: a known prefix such as {@code sk-proj-}, then
 * {@code …} and the last four characters, and only for keys long enough that this gives nothing away.
 * {@link #scrub(String)} removes from a text:
 * <ul>
 *   <li>every occurrence of each known secret (API key, SIDECAR_TOKEN, the user:password of OPENAI_BASE_URL),
 *       replaced by its mask;</li>
 *   <li>a known secret cut short at either end of the text: a text that ends with the start of a secret, or
 *       starts with its end, of at least {@value #SHORTEST_FRAGMENT} characters (someone else truncated it);</li>
 *   <li>the credentials of any URL ({@code https://user:pass@host} → {@code https://…@host});</li>
 *   <li>the value after {@code Bearer } (an echoed {@code Authorization} header);</li>
 *   <li>anything shaped like an OpenAI key ({@code sk-} and at least 8 token characters), known or not.</li>
 * </ul>
 * Text must be scrubbed before it is cut: {@link #scrubAndCap(String, int)} does both in that order.
 * Plain string scanning, no regular expressions: this runs in stdio mode, where start-up time counts.
 */
public final class SecretMasker {
    /** Keys shorter than this are masked as {@code …} alone: four characters of them would say too much. */
    static final int SHORTEST_SHOWN_KEY = 16;
    /** Shortest cut-off piece of a known secret that is still recognised at the edge of a text. */
    static final int SHORTEST_FRAGMENT = 6;
    /** Known secrets shorter than this are not searched for: replacing them would mangle ordinary words. */
    private static final int SHORTEST_SECRET = 4;
    /** Token characters after {@code sk-} that make a word look like an OpenAI key. */
    private static final int KEY_SHAPE_MIN_TOKEN = 8;
    /** Shortest {@code Bearer} value hidden when it is not a known secret (keeps "Bearer auth" readable). */
    private static final int BEARER_MIN_VALUE = 8;
    /** Prefixes that name a kind of key, not the key: shown by {@link #mask}. Longest first. */
    private static final String[] KNOWN_PREFIXES = {"sk-svcacct-", "sk-admin-", "sk-proj-", "sk-"};
    private static final String ELLIPSIS = "…";

    private static final SecretMasker NONE = new SecretMasker(new String[0]);

    /** Known secrets, longest first so that a secret containing another is replaced whole. */
    private final String[] secrets;

    private SecretMasker(String[] secrets) {
        this.secrets = secrets;
    }

    /** @return a masker that knows no secret (it still hides key-shaped words, URL credentials, Bearer values) */
    public static SecretMasker none() {
        return NONE;
    }

    /**
     * @param secrets the known secrets; null, blank and very short ones are ignored
     * @return a masker for them
     */
    public static SecretMasker of(String... secrets) {
        List<String> known = new ArrayList<>();
        for (String secret : secrets) {
            if (secret != null && secret.strip().length() >= SHORTEST_SECRET && !known.contains(secret)) {
                known.add(secret);
            }
        }
        if (known.isEmpty()) {
            return NONE;
        }
        // Longest first; by hand, since a comparator lambda costs a class at stdio start-up.
        String[] sorted = known.toArray(new String[0]);
        for (int i = 1; i < sorted.length; i++) {
            for (int j = i; j > 0 && sorted[j].length() > sorted[j - 1].length(); j--) {
                String swap = sorted[j];
                sorted[j] = sorted[j - 1];
                sorted[j - 1] = swap;
            }
        }
        return new SecretMasker(sorted);
    }

    /**
     * @param url a URL as configured, e.g. OPENAI_BASE_URL; may be null
     * @return the secrets it carries: its raw {@code user:password} and the password alone; empty if none
     */
    public static String[] urlCredentials(String url) {
        if (url == null) {
            return new String[0];
        }
        int scheme = url.indexOf("://");
        if (scheme < 0) {
            return new String[0];
        }
        int end = userInfoEnd(url, scheme + 3);
        if (end < 0) {
            return new String[0];
        }
        String userInfo = url.substring(scheme + 3, end);
        int colon = userInfo.indexOf(':');
        return colon < 0 ? new String[] {userInfo} : new String[] {userInfo, userInfo.substring(colon + 1)};
    }

    /**
     * @param key an API key or another secret; may be null
     * @return {@code sk-proj-…abcd} at most; {@code …} for keys shorter than 16 characters; {@code none} for
     *         null or empty
     */
    public static String mask(String key) {
        if (key == null || key.isEmpty()) {
            return "none";
        }
        if (key.length() < SHORTEST_SHOWN_KEY) {
            return ELLIPSIS;
        }
        return knownPrefix(key) + ELLIPSIS + key.substring(key.length() - 4);
    }

    /**
     * @param text a message, may be null
     * @return the text without any secret (see the class comment)
     */
    public String scrub(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String scrubbed = text;
        for (String secret : secrets) {
            if (scrubbed.contains(secret)) {
                scrubbed = scrubbed.replace(secret, mask(secret));
            }
        }
        for (String secret : secrets) {
            scrubbed = cutOffEdges(scrubbed, secret);
        }
        if (scrubbed.contains("://")) {
            scrubbed = hideUrlCredentials(scrubbed);
        }
        if (containsIgnoreCase(scrubbed, "bearer ")) {
            scrubbed = hideBearerValues(scrubbed);
        }
        if (scrubbed.contains("sk-")) {
            scrubbed = hideKeyShapes(scrubbed);
        }
        return scrubbed;
    }

    /**
     * Scrubs, then cuts: cutting first could leave the start of a secret that scrubbing no longer recognises.
     *
     * @param text     a message, may be null
     * @param maxChars the longest result before the {@code …} that marks a cut
     * @return the scrubbed text, at most {@code maxChars} characters plus {@code …}
     */
    public String scrubAndCap(String text, int maxChars) {
        String scrubbed = scrub(text);
        if (scrubbed == null || scrubbed.length() <= maxChars) {
            return scrubbed;
        }
        int end = Character.isHighSurrogate(scrubbed.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return scrubbed.substring(0, end) + ELLIPSIS;
    }

    /** @return whether {@link #scrub} would change the text, i.e. it holds (or looks like) a secret */
    public boolean hides(String text) {
        return text != null && !text.equals(scrub(text));
    }

    private static String cutOffEdges(String text, String secret) {
        String result = text;
        int longest = Math.min(result.length(), secret.length() - 1);
        for (int length = longest; length >= SHORTEST_FRAGMENT; length--) {
            if (result.regionMatches(result.length() - length, secret, 0, length)) {
                result = result.substring(0, result.length() - length) + ELLIPSIS;
                break;
            }
        }
        longest = Math.min(result.length(), secret.length() - 1);
        for (int length = longest; length >= SHORTEST_FRAGMENT; length--) {
            if (result.regionMatches(0, secret, secret.length() - length, length)) {
                result = ELLIPSIS + result.substring(length);
                break;
            }
        }
        return result;
    }

    private static String hideUrlCredentials(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int from = 0;
        for (int scheme = text.indexOf("://"); scheme >= 0; scheme = text.indexOf("://", scheme + 3)) {
            int start = scheme + 3;
            int end = userInfoEnd(text, start);
            if (end > start) {
                out.append(text, from, start).append(ELLIPSIS);
                from = end;
            }
        }
        return from == 0 ? text : out.append(text, from, text.length()).toString();
    }

    /** @return the index of the {@code @} that ends the user info starting at {@code start}, or -1 */
    private static int userInfoEnd(String text, int start) {
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '@') {
                return i;
            }
            if (c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '<' || c == '>'
                    || Character.isWhitespace(c)) {
                return -1;
            }
        }
        return -1;
    }

    private static String hideBearerValues(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int from = 0;
        for (int at = indexOfIgnoreCase(text, "bearer ", 0); at >= 0; at = indexOfIgnoreCase(text, "bearer ", at + 7)) {
            int start = at + 7;
            while (start < text.length() && text.charAt(start) == ' ') {
                start++;
            }
            int end = start;
            while (end < text.length() && !endsBearerValue(text.charAt(end))) {
                end++;
            }
            String value = text.substring(start, end);
            if (value.length() >= BEARER_MIN_VALUE && !value.contains(ELLIPSIS)) {
                out.append(text, from, start).append(mask(value));
                from = end;
            }
        }
        return from == 0 ? text : out.append(text, from, text.length()).toString();
    }

    private static boolean endsBearerValue(char c) {
        return Character.isWhitespace(c) || c == '"' || c == '\'' || c == ',' || c == ';' || c == ')' || c == ']'
                || c == '}' || c == '\\';
    }

    private static String hideKeyShapes(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int from = 0;
        for (int at = text.indexOf("sk-"); at >= 0; at = text.indexOf("sk-", at + 3)) {
            if (at > 0 && isTokenChar(text.charAt(at - 1))) {
                continue; // part of a longer word ("task-runner"), not a key
            }
            int end = at + 3;
            while (end < text.length() && isTokenChar(text.charAt(end))) {
                end++;
            }
            if (end - at - 3 < KEY_SHAPE_MIN_TOKEN) {
                continue;
            }
            String key = text.substring(at, end);
            // A key that runs into the end of the text may have been cut: its last four are not its last four.
            String masked = end == text.length() ? knownPrefix(key) + ELLIPSIS : mask(key);
            out.append(text, from, at).append(masked);
            from = end;
            at = end - 3;
        }
        return from == 0 ? text : out.append(text, from, text.length()).toString();
    }

    private static String knownPrefix(String key) {
        for (String prefix : KNOWN_PREFIXES) {
            if (key.startsWith(prefix)) {
                return prefix;
            }
        }
        return "";
    }

    private static boolean isTokenChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    private static boolean containsIgnoreCase(String text, String word) {
        return indexOfIgnoreCase(text, word, 0) >= 0;
    }

    private static int indexOfIgnoreCase(String text, String word, int from) {
        for (int i = from; i <= text.length() - word.length(); i++) {
            if (text.regionMatches(true, i, word, 0, word.length())) {
                return i;
            }
        }
        return -1;
    }
}
