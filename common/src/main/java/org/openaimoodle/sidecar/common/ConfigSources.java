package org.openaimoodle.sidecar.common;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where configuration comes from, in order: command-line flags &gt; environment &gt; the flat YAML file
 * ({@code --config FILE} or {@code SIDECAR_CONFIG}) &gt; the setting's default. Every source is keyed by the
 * variable name. Values are stripped of surrounding whitespace, and an empty value counts as unset everywhere
 * (as in {@code OPENAI_API_KEY=}). Each typed reader checks the value against its {@link Setting} and fails
 * with one format:
 * {@code SIDECAR_PORT must be a TCP port 1-65535 (got 'x' from environment); fix or unset it} — the value is
 * never shown for a secret setting, nor when it looks like a key.
 */
public final class ConfigSources {
    private static final String COMMAND_LINE = "command line";
    private static final String DEFAULTS = "defaults";
    /** Longest rejected value echoed in an error message. */
    private static final int SHOWN_VALUE_CHARS = 80;

    private final Map<String, String> flags;
    private final Map<String, String> environment;
    private Map<String, String> file = Map.of();
    private String fileSource = "";

    private ConfigSources(Map<String, String> flags, Map<String, String> environment) {
        this.flags = flags;
        this.environment = environment;
    }

    /**
     * Reads the config file too, if SIDECAR_CONFIG (flag or environment) names one.
     *
     * @param flags       values given on the command line, keyed by variable name
     * @param environment the process environment
     * @return the sources
     * @throws ConfigException when the config file cannot be read or is not flat YAML
     */
    public static ConfigSources of(Map<String, String> flags, Map<String, String> environment) {
        ConfigSources sources = new ConfigSources(flags, environment);
        Value name = sources.find(SharedSettings.SIDECAR_CONFIG);
        if (name != null) {
            sources.file = FlatYamlFile.read(name.text(), name.source(), name.fromCommandLine(), sources.masker());
            sources.fileSource = "config file " + name.text();
        }
        return sources;
    }

    /** @return the config file, if one was given */
    public Optional<Path> configFile() {
        Value value = find(SharedSettings.SIDECAR_CONFIG);
        return value == null ? Optional.empty() : Optional.of(Path.of(value.text()));
    }

    /** @return the configured text, else the default; empty when neither */
    public Optional<String> optionalText(Setting setting) {
        Value value = find(setting);
        return Optional.ofNullable(value == null ? setting.defaultValue() : value.text());
    }

    /** @return the configured text, else the default (which the setting must have) */
    public String text(Setting setting) {
        return valueOrDefault(setting, Setting.Kind.TEXT).text();
    }

    /**
     * @return the whole number (kinds INTEGER and PORT), within the setting's range
     * @throws ConfigException naming the variable, the source and the range
     */
    public int integer(Setting setting) {
        Value value = valueOrDefault(setting, Setting.Kind.INTEGER, Setting.Kind.PORT);
        String text = value.text();
        boolean digits = !text.isEmpty() && text.length() <= 18;
        for (int i = text.startsWith("-") ? 1 : 0; digits && i < text.length(); i++) {
            digits = text.charAt(i) >= '0' && text.charAt(i) <= '9';
        }
        long parsed = digits && !text.equals("-") ? Long.parseLong(text) : Long.MIN_VALUE;
        if (parsed < setting.min() || parsed > setting.max()) {
            throw invalid(value, setting.expected());
        }
        return (int) parsed;
    }

    /**
     * @return the duration, within the setting's range
     * @throws ConfigException naming the variable, the source and the range
     */
    public Duration duration(Setting setting) {
        return Duration.ofMillis(millis(valueOrDefault(setting, Setting.Kind.DURATION)));
    }

    /**
     * For a duration whose default the module computes from other settings.
     *
     * @return the configured duration, empty when not configured
     * @throws ConfigException naming the variable, the source and the range
     */
    public Optional<Duration> optionalDuration(Setting setting) {
        checkKind(setting, Setting.Kind.DURATION, Setting.Kind.DURATION);
        Value value = find(setting);
        return value == null ? Optional.empty() : Optional.of(Duration.ofMillis(millis(value)));
    }

    /** @return the yes/no value; {@code true|1|yes|on} and {@code false|0|no|off}, any case */
    public boolean bool(Setting setting) {
        Value value = valueOrDefault(setting, Setting.Kind.BOOLEAN);
        String text = value.text().toLowerCase(java.util.Locale.ROOT);
        if (text.equals("true") || text.equals("1") || text.equals("yes") || text.equals("on")) {
            return true;
        }
        if (text.equals("false") || text.equals("0") || text.equals("no") || text.equals("off")) {
            return false;
        }
        throw invalid(value, setting.expected());
    }

    /** @return the entries of a LIST (comma-separated) or WORDS (whitespace-separated) setting; empty when unset */
    public List<String> list(Setting setting) {
        checkKind(setting, Setting.Kind.LIST, Setting.Kind.WORDS);
        Optional<String> text = optionalText(setting);
        List<String> entries = new ArrayList<>();
        if (text.isEmpty()) {
            return entries;
        }
        boolean words = setting.kind() == Setting.Kind.WORDS;
        StringBuilder entry = new StringBuilder();
        for (int i = 0; i <= text.get().length(); i++) {
            char c = i < text.get().length() ? text.get().charAt(i) : ',';
            if (words ? Character.isWhitespace(c) || i == text.get().length() : c == ',') {
                String done = entry.toString().strip();
                if (!done.isEmpty()) {
                    entries.add(done);
                }
                entry.setLength(0);
            } else {
                entry.append(c);
            }
        }
        return List.copyOf(entries);
    }

    /**
     * For rules between settings (a maximum below its minimum, say): the one error format, with the value and
     * source of {@code setting}.
     *
     * @param setting  the setting to blame
     * @param expected what it must be, e.g. "at least SIDECAR_BACKOFF_INITIAL (10)"
     * @return the exception to throw
     */
    public ConfigException invalid(Setting setting, String expected) {
        Value value = find(setting);
        return invalid(value != null ? value : new Value(setting, String.valueOf(setting.defaultValue()), DEFAULTS),
                expected);
    }

    /**
     * Parses a setting with a parser of its own (a URL, a list of aliases), so that its rejection reads like
     * every other: the parser's {@link IllegalArgumentException} becomes the setting's error.
     *
     * @param setting  the setting being parsed
     * @param parse    the parsing, reading the setting from these sources
     * @param expected what the setting must be, e.g. "an http:// or https:// URL"
     * @return what {@code parse} returned
     */
    public <T> T parsed(Setting setting, java.util.function.Supplier<T> parse, String expected) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw invalid(setting, expected + " (" + e.getMessage() + ")");
        }
    }

    /** @return where the setting's value comes from: {@code command line}, {@code environment}, {@code config file F} or {@code defaults} */
    public String origin(Setting setting) {
        Value value = find(setting);
        return value == null ? DEFAULTS : value.source();
    }

    /** @return a masker for the secrets these sources hold (API key, token, base URL credentials) */
    public SecretMasker masker() {
        String[] url = SecretMasker.urlCredentials(raw(SharedSettings.OPENAI_BASE_URL));
        return SecretMasker.of(raw(SharedSettings.OPENAI_API_KEY), raw(SharedSettings.SIDECAR_TOKEN),
                url.length > 0 ? url[0] : null, url.length > 1 ? url[1] : null);
    }

    private String raw(Setting setting) {
        Value value = find(setting);
        return value == null ? null : value.text();
    }

    /** @return the configured value, null when no source has one */
    private Value find(Setting setting) {
        String name = setting.name();
        String text = flags.get(name);
        if (text != null && !text.isBlank()) {
            return new Value(setting, text.strip(), COMMAND_LINE);
        }
        text = environment.get(name);
        if (text != null && !text.isBlank()) {
            return new Value(setting, text.strip(), "environment");
        }
        text = file.get(name);
        if (text != null && !text.isBlank()) {
            return new Value(setting, text.strip(), fileSource);
        }
        return null;
    }

    private Value valueOrDefault(Setting setting, Setting.Kind kind, Setting.Kind alsoKind) {
        checkKind(setting, kind, alsoKind);
        Value value = find(setting);
        if (value != null) {
            return value;
        }
        if (setting.defaultValue() == null) {
            throw new IllegalArgumentException(setting.name() + " has no default");
        }
        return new Value(setting, setting.defaultValue(), DEFAULTS);
    }

    private Value valueOrDefault(Setting setting, Setting.Kind kind) {
        return valueOrDefault(setting, kind, kind);
    }

    private static void checkKind(Setting setting, Setting.Kind kind, Setting.Kind alsoKind) {
        if (setting.kind() != kind && setting.kind() != alsoKind) {
            throw new IllegalArgumentException(setting.name() + " is a " + setting.kind() + " setting, not " + kind);
        }
    }

    private long millis(Value value) {
        long millis = Setting.parseMillis(value.text());
        if (millis < value.setting().min() || millis > value.setting().max()) {
            throw invalid(value, value.setting().expected());
        }
        return millis;
    }

    private ConfigException invalid(Value value, String expected) {
        return new ConfigException(value.setting().name() + " must be " + expected + " (got " + shown(value)
                + " from " + value.source() + "); fix or unset it", value.fromCommandLine());
    }

    /** The rejected value as an error message may show it: never a secret, capped, control characters escaped. */
    private String shown(Value value) {
        if (value.setting().secret()) {
            return "a value that is not shown, since it is secret";
        }
        SecretMasker masker = masker();
        // A URL is shown without its credentials; anything else that holds a secret is not shown at all.
        if (!value.text().contains("://") && masker.hides(value.text())) {
            return "a value that is not shown, since it looks like a key";
        }
        StringBuilder shown = new StringBuilder("'");
        String text = masker.scrubAndCap(value.text(), SHOWN_VALUE_CHARS);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                shown.append(String.format("\\u%04x", (int) c));
            } else {
                shown.append(c);
            }
        }
        return shown.append('\'').toString();
    }

    /** One value and where it came from. */
    private record Value(Setting setting, String text, String source) {
        boolean fromCommandLine() {
            return source.equals(COMMAND_LINE);
        }
    }
}
