package org.openaimoodle.sidecar.common;

import java.util.ArrayList;
import java.util.List;

/**
 * One row of a settings table: a variable name (also the config file key), what kind of value it takes and
 * in what range, its default, and a one-line description. Each module keeps one table ({@code WorkerSettings},
 * {@code SupervisorSettings}, the shared rows in {@link SharedSettings}) and reads its config record from it
 * through {@link ConfigSources}; the README's tables are checked against them.
 *
 * @param name         the environment variable, e.g. {@code SIDECAR_PORT}
 * @param kind         how the text is read
 * @param defaultValue the default as a value text, read like a configured one; null when there is none (unset,
 *                     or computed by the module from other settings)
 * @param shownDefault the default as the README shows it ({@code none}, {@code the original}, …)
 * @param min          smallest accepted value: whole numbers as they are, durations in milliseconds
 * @param max          largest accepted value, same units
 * @param doc          one line for people
 * @param secret       a value never shown, not even in an error message (API key, token)
 */
public record Setting(String name, Kind kind, String defaultValue, String shownDefault, long min, long max,
                      String doc, boolean secret) {

    /** How a setting's text is read; each kind has one error wording (see {@link #expected()}). */
    public enum Kind {
        /** Any text. */
        TEXT,
        /** A whole number in [min, max]. */
        INTEGER,
        /** A TCP port, 1-65535. */
        PORT,
        /** Seconds ({@code 25}, {@code 2.5}) or a number with a unit ({@code 90s}, {@code 5m}, {@code 1h}, {@code 1d}). */
        DURATION,
        /** {@code true}/{@code false}, also {@code 1}/{@code 0}, {@code yes}/{@code no}, {@code on}/{@code off}. */
        BOOLEAN,
        /** Comma-separated entries, each stripped; empty entries are dropped. */
        LIST,
        /** Whitespace-separated words (a command line). */
        WORDS
    }

    /**
     * @param name         the variable
     * @param defaultValue the default, or null for none
     * @param doc          one line for people
     * @return a text setting
     */
    public static Setting text(String name, String defaultValue, String doc) {
        return new Setting(name, Kind.TEXT, defaultValue, shown(defaultValue), 0, 0, doc, false);
    }

    /** @return a text setting that is never shown: no default, and error messages hide its value */
    public static Setting secret(String name, String doc) {
        return new Setting(name, Kind.TEXT, null, "none", 0, 0, doc, true);
    }

    /** @return a whole-number setting accepting {@code min..max} */
    public static Setting integer(String name, long defaultValue, long min, long max, String doc) {
        return new Setting(name, Kind.INTEGER, Long.toString(defaultValue), Long.toString(defaultValue), min, max,
                doc, false);
    }

    /** @return a TCP port setting */
    public static Setting port(String name, int defaultValue, String doc) {
        return new Setting(name, Kind.PORT, Integer.toString(defaultValue), Integer.toString(defaultValue), 1, 65535,
                doc, false);
    }

    /**
     * @param defaultValue the default as a duration text ({@code "25"}, {@code "0.5"}, {@code "24h"}), or null when
     *                     the module computes it
     * @param min          the shortest accepted duration, as a duration text
     * @param max          the longest accepted duration, as a duration text
     * @return a duration setting
     */
    public static Setting duration(String name, String defaultValue, String min, String max, String doc) {
        return new Setting(name, Kind.DURATION, defaultValue, shown(defaultValue), parseMillis(min), parseMillis(max),
                doc, false);
    }

    /** @return a yes/no setting */
    public static Setting bool(String name, boolean defaultValue, String doc) {
        return new Setting(name, Kind.BOOLEAN, Boolean.toString(defaultValue), Boolean.toString(defaultValue), 0, 0,
                doc, false);
    }

    /** @return a comma-separated list setting; {@code defaultValue} null for an empty list */
    public static Setting list(String name, String defaultValue, String doc) {
        return new Setting(name, Kind.LIST, defaultValue, shown(defaultValue), 0, 0, doc, false);
    }

    /** @return a whitespace-separated word list (a command line); {@code defaultValue} null for none */
    public static Setting words(String name, String defaultValue, String doc) {
        return new Setting(name, Kind.WORDS, defaultValue, shown(defaultValue), 0, 0, doc, false);
    }

    /**
     * @param shown how the README shows the default, when it is not the value text itself (a computed
     *              default, a long prompt, a fallback chain)
     * @return this setting with that shown default
     */
    public Setting shownAs(String shown) {
        return new Setting(name, kind, defaultValue, shown, min, max, doc, secret);
    }

    /** @return what a valid value looks like, for the one error format of {@link ConfigSources} */
    public String expected() {
        return switch (kind) {
            case INTEGER -> "a whole number from " + min + " to " + max;
            case PORT -> "a TCP port 1-65535";
            case DURATION -> "a number of seconds from " + seconds(min) + " to " + seconds(max)
                    + " (e.g. 25 or 2.5) or a duration such as 90s, 5m, 1h or 1d";
            case BOOLEAN -> "true or false (or 1/0, yes/no, on/off)";
            case TEXT, LIST, WORDS -> "text";
        };
    }

    /**
     * Reads a duration text: seconds with optional decimals, or a number followed by {@code s}, {@code m},
     * {@code h} or {@code d}; millisecond precision.
     *
     * @param text the value, already stripped
     * @return milliseconds, or -1 when the text is not a duration
     */
    static long parseMillis(String text) {
        if (text.isEmpty() || text.length() > 30) {
            return -1;
        }
        long unit = switch (Character.toLowerCase(text.charAt(text.length() - 1))) {
            case 's' -> 1000L;
            case 'm' -> 60_000L;
            case 'h' -> 3_600_000L;
            case 'd' -> 86_400_000L;
            default -> 0L;
        };
        String number = unit == 0 ? text : text.substring(0, text.length() - 1).strip();
        unit = unit == 0 ? 1000L : unit;
        boolean dot = false;
        boolean digits = false;
        for (int i = 0; i < number.length(); i++) {
            char c = number.charAt(i);
            if (c == '.' && !dot) {
                dot = true;
            } else if (c >= '0' && c <= '9') {
                digits = true;
            } else {
                return -1;
            }
        }
        if (!digits) {
            return -1;
        }
        // By hand, not Double.parseDouble: exact, and no floating-point parser loaded at stdio start-up.
        int point = dot ? number.indexOf('.') : number.length();
        String wholeDigits = number.substring(0, point);
        String fractionDigits = dot ? number.substring(point + 1) : "";
        if (wholeDigits.length() > 15 || fractionDigits.length() > 9) {
            return -1;
        }
        long whole = wholeDigits.isEmpty() ? 0 : Long.parseLong(wholeDigits);
        if (whole > Long.MAX_VALUE / unit / 2) {
            return -1;
        }
        long millis = whole * unit;
        if (!fractionDigits.isEmpty()) {
            long scale = 1;
            for (int i = 0; i < fractionDigits.length(); i++) {
                scale *= 10;
            }
            millis += (Long.parseLong(fractionDigits) * unit + scale / 2) / scale;
        }
        return millis;
    }

    /** @return milliseconds as seconds for people: {@code 100} → {@code 0.1}, {@code 3600000} → {@code 3600} */
    static String seconds(long millis) {
        if (millis % 1000 == 0) {
            return Long.toString(millis / 1000);
        }
        String fraction = Long.toString(1000 + millis % 1000).substring(1);
        while (fraction.endsWith("0")) {
            fraction = fraction.substring(0, fraction.length() - 1);
        }
        return millis / 1000 + "." + fraction;
    }

    private static String shown(String defaultValue) {
        return defaultValue == null ? "none" : defaultValue;
    }

    /**
     * A module's settings table, built row by row: each {@code static final Setting X = TABLE.add(...)} line is
     * one row, and {@link #rows()} lists them in that order (the README's order).
     */
    public static final class Table {
        private final List<Setting> rows = new ArrayList<>();

        /** @return the setting, now a row of this table */
        public Setting add(Setting setting) {
            rows.add(setting);
            return setting;
        }

        /** @return the rows so far, in order */
        public List<Setting> rows() {
            return List.copyOf(rows);
        }
    }
}
