package org.openaimoodle.sidecar.worker.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.openaimoodle.sidecar.worker.upstream.ChatCompletionsUrl;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Builds the {@link WorkerConfig}: flags &gt; environment &gt; YAML file &gt; defaults. The YAML file is flat and
 * uses the environment variable names as keys (docs/internals.md); keys it does not know are left for the
 * supervisor, which reads the same file. Empty values count as unset (as in {@code OPENAI_API_KEY=}).
 */
public final class ConfigLoader {
    private final Map<String, String> flags;
    private final Map<String, String> env;
    private final Map<String, String> file;
    private final String fileName;

    private ConfigLoader(Map<String, String> flags, Map<String, String> env, Map<String, String> file,
                         String fileName) {
        this.flags = flags;
        this.env = env;
        this.file = file;
        this.fileName = fileName;
    }

    /**
     * @param flags the parsed command line
     * @param env   the process environment
     * @return the validated configuration
     * @throws ConfigException naming the variable, the value and what is expected
     */
    public static WorkerConfig load(CommandLineFlags flags, Map<String, String> env) throws ConfigException {
        ConfigLoader sources = new ConfigLoader(flags.values(), env, Map.of(), null);
        Optional<Value> configFile = sources.find(CommandLineFlags.CONFIG_FILE);
        if (configFile.isPresent()) {
            String name = configFile.get().text();
            sources = new ConfigLoader(flags.values(), env, readYaml(name, configFile.get().fromFlag()), name);
        }
        return sources.build(flags.httpMode(), "1".equals(env.get("SIDECAR_SUPERVISED")));
    }

    private WorkerConfig build(boolean httpMode, boolean supervised) throws ConfigException {
        Value baseUrl = find("OPENAI_BASE_URL").orElse(new Value("OPENAI_BASE_URL", "https://api.openai.com/v1", ""));
        java.net.URI uri;
        try {
            uri = ChatCompletionsUrl.normalize(baseUrl.text());
        } catch (IllegalArgumentException e) {
            throw baseUrl.invalid(e.getMessage() + ", e.g. https://api.openai.com/v1");
        }
        Prompts original = Prompts.ORIGINAL;
        return new WorkerConfig(
                find("OPENAI_API_KEY").map(Value::text),
                uri,
                text("OPENAI_MODEL", "gpt-4o-mini"),
                integer("MAX_TOKENS", 1000, 2, 1_000_000),
                integer("SUMMARIZE_THRESHOLD", 2000, 1, Integer.MAX_VALUE),
                text("SIDECAR_HOST", "127.0.0.1"),
                integer("SIDECAR_PORT", 8081, 1, 65535),
                seconds("SIDECAR_REQUEST_TIMEOUT", 25),
                seconds("SIDECAR_CONNECT_TIMEOUT", 5),
                find("SIDECAR_TOKEN").map(Value::text),
                integer("SIDECAR_MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
                integer("SIDECAR_MAX_CONCURRENT_REQUESTS", 1024, 1, 1_000_000),
                integer("SIDECAR_MAX_CONNECTIONS", 2048, 2, 1_000_000),
                seconds("SIDECAR_IDLE_TIMEOUT", 30),
                seconds("SIDECAR_HEADER_TIMEOUT", 10),
                java.util.Arrays.stream(text("SIDECAR_ALLOWED_HOSTS", "").split(",")).map(String::strip)
                        .filter(h -> !h.isEmpty()).toList(),
                new Prompts(
                        text("SIDECAR_PROMPT_CHAT_SYSTEM", original.chatSystem()),
                        text("SIDECAR_PROMPT_SUMMARIZE_SYSTEM", original.summarizeSystem()),
                        text("SIDECAR_PROMPT_ANALYZE_SYSTEM", original.analyzeSystem()),
                        text("SIDECAR_PROMPT_ANALYZE_USER", original.analyzeUserIntro())),
                httpMode,
                supervised);
    }

    private Optional<Value> find(String variable) {
        String flag = flags.get(variable);
        if (flag != null) {
            return Optional.of(new Value(variable, flag, "command line"));
        }
        String fromEnv = env.get(variable);
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return Optional.of(new Value(variable, fromEnv, "environment"));
        }
        String fromFile = file.get(variable);
        if (fromFile != null && !fromFile.isEmpty()) {
            return Optional.of(new Value(variable, fromFile, "config file " + fileName));
        }
        return Optional.empty();
    }

    private String text(String variable, String defaultValue) {
        return find(variable).map(Value::text).orElse(defaultValue);
    }

    private int integer(String variable, int defaultValue, int min, int max) throws ConfigException {
        Optional<Value> value = find(variable);
        if (value.isEmpty()) {
            return defaultValue;
        }
        String expected = "a whole number from " + min + " to " + max;
        try {
            int parsed = Integer.parseInt(value.get().text().strip());
            if (parsed < min || parsed > max) {
                throw value.get().invalid(expected);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw value.get().invalid(expected);
        }
    }

    private Duration seconds(String variable, double defaultSeconds) throws ConfigException {
        Optional<Value> value = find(variable);
        double parsed = defaultSeconds;
        if (value.isPresent()) {
            String expected = "a number of seconds between 0.1 and 3600, e.g. 25 or 2.5";
            try {
                parsed = Double.parseDouble(value.get().text().strip());
            } catch (NumberFormatException e) {
                throw value.get().invalid(expected);
            }
            if (!(parsed >= 0.1 && parsed <= 3600)) {
                throw value.get().invalid(expected);
            }
        }
        return Duration.ofMillis(Math.round(parsed * 1000));
    }

    private static Map<String, String> readYaml(String name, boolean fromFlag) throws ConfigException {
        Object root;
        try (Reader reader = Files.newBufferedReader(Path.of(name), StandardCharsets.UTF_8)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
        } catch (IOException e) {
            throw new ConfigException("SIDECAR_CONFIG: cannot read config file " + name + " (" + e
                    + "); fix the path or remove --config/SIDECAR_CONFIG", fromFlag);
        } catch (RuntimeException e) {
            throw new ConfigException("SIDECAR_CONFIG: config file " + name + " is not valid YAML: "
                    + e.getMessage().lines().findFirst().orElse(""), fromFlag);
        }
        if (root == null) {
            return Map.of();
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new ConfigException("SIDECAR_CONFIG: config file " + name
                    + " must be a flat mapping of variable names to values, e.g. 'OPENAI_MODEL: gpt-4o-mini'", fromFlag);
        }
        Map<String, String> values = new HashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            Object value = entry.getValue();
            if (value instanceof Map<?, ?> || value instanceof Iterable<?>) {
                throw new ConfigException(entry.getKey() + " in config file " + name
                        + " must be a single value, not a list or mapping", fromFlag);
            }
            if (value != null) {
                values.put(String.valueOf(entry.getKey()), String.valueOf(value));
            }
        }
        return values;
    }

    /** One configured value and where it came from, for error messages. */
    private record Value(String variable, String text, String source) {
        boolean fromFlag() {
            return source.equals("command line");
        }

        ConfigException invalid(String expected) {
            return new ConfigException(variable + " must be " + expected + " (got '" + text + "' from "
                    + (source.isEmpty() ? "defaults" : source) + ")", fromFlag());
        }
    }
}
