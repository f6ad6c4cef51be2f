package org.openaimoodle.sidecar.worker.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.openaimoodle.sidecar.common.ConfigException;

/**
 * The worker's command-line flags: the original sidecar's {@code --api-key --base-url --model --max-tokens
 * --summarize-threshold --http-mode --port}, plus {@code --config FILE} and {@code --help}. Values may be
 * given as {@code --flag=value} or {@code --flag value}. Parsed by hand on purpose: this runs on every
 * stdio fallback request, where a CLI library's start-up cost is paid each time.
 *
 * @param values   configuration values from flags, keyed by the environment variable they override
 * @param httpMode {@code --http-mode} was given
 * @param help     {@code --help} was given
 */
public record CommandLineFlags(Map<String, String> values, boolean httpMode, boolean help) {

    /** Pseudo-variable under which {@code --config} is stored in {@link #values()}. */
    public static final String CONFIG_FILE = "SIDECAR_CONFIG";

    /** Flags that take a value, and the variable each one overrides. */
    private static final Map<String, String> VALUE_FLAGS = Map.of(
            "--api-key", "OPENAI_API_KEY",
            "--base-url", "OPENAI_BASE_URL",
            "--model", "OPENAI_MODEL",
            "--max-tokens", "MAX_TOKENS",
            "--summarize-threshold", "SUMMARIZE_THRESHOLD",
            "--port", "SIDECAR_PORT",
            "--config", CONFIG_FILE);

    /** Usage text printed for {@code --help} and after a bad flag. */
    public static final String USAGE = """
            Usage: openai-moodle-sidecar [--http-mode] [--port N] [--api-key KEY] [--base-url URL]
                                         [--model NAME] [--max-tokens N] [--summarize-threshold N]
                                         [--config FILE]
            Without --http-mode (and with stdin not a terminal) it answers one JSON request per stdin line.
            Flags override environment variables (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL, MAX_TOKENS,
            SUMMARIZE_THRESHOLD, SIDECAR_PORT, SIDECAR_CONFIG); prefer OPENAI_API_KEY over --api-key.""";

    public CommandLineFlags {
        values = Map.copyOf(values);
    }

    /**
     * Parses the arguments.
     *
     * @param args the command line
     * @return the flags
     * @throws ConfigException (from the command line) for an unknown flag or a missing value
     */
    public static CommandLineFlags parse(List<String> args) {
        Map<String, String> values = new LinkedHashMap<>();
        boolean httpMode = false;
        boolean help = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            int eq = arg.indexOf('=');
            String name = eq > 0 ? arg.substring(0, eq) : arg;
            if (name.equals("--http-mode") || name.equals("--help") || name.equals("-h")) {
                if (eq > 0) {
                    throw new ConfigException(name + " takes no value (got '" + arg + "')", true);
                }
                httpMode |= name.equals("--http-mode");
                help |= !name.equals("--http-mode");
                continue;
            }
            String variable = VALUE_FLAGS.get(name);
            if (variable == null) {
                throw new ConfigException("unknown option '" + arg + "'", true);
            }
            String value;
            if (eq > 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                value = args.get(++i);
            } else {
                throw new ConfigException(name + " needs a value: " + name + "=VALUE or " + name + " VALUE", true);
            }
            values.put(variable, value);
        }
        return new CommandLineFlags(values, httpMode, help);
    }
}
