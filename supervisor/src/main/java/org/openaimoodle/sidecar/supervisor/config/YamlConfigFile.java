package org.openaimoodle.sidecar.supervisor.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The optional config file: flat YAML whose keys are the environment variable names
 * ({@code OPENAI_MODEL: gpt-4o-mini}), shared with the worker (docs/internals.md).
 */
final class YamlConfigFile {
    private YamlConfigFile() {
    }

    /** Reads {@code file} into variable name → value text; nested values are rejected. */
    static Map<String, String> read(Path file) {
        Object document;
        try (Reader reader = Files.newBufferedReader(file)) {
            // SafeConstructor: plain maps, lists and scalars only, no arbitrary Java types.
            document = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
        } catch (NoSuchFileException e) {
            throw new ConfigException("SIDECAR_CONFIG: file " + file + " does not exist; "
                    + "fix the path or remove the setting");
        } catch (IOException e) {
            throw new ConfigException("SIDECAR_CONFIG: cannot read " + file + ": " + e.getMessage());
        } catch (YAMLException e) {
            throw new ConfigException("SIDECAR_CONFIG: " + file + " is not valid YAML: "
                    + firstLine(e.getMessage()));
        }
        Map<String, String> values = new LinkedHashMap<>();
        if (document == null) {
            return values;
        }
        if (!(document instanceof Map<?, ?> map)) {
            throw new ConfigException("SIDECAR_CONFIG: " + file + " must be a flat map of "
                    + "VARIABLE_NAME: value lines");
        }
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String key = String.valueOf(entry.getKey());
            Object value = entry.getValue();
            if (value instanceof Map<?, ?> || value instanceof Iterable<?>) {
                throw new ConfigException(key + " in " + file + ": expected a single value, "
                        + "got a nested structure (the file is flat: VARIABLE_NAME: value)");
            }
            if (value != null) {
                values.put(key, String.valueOf(value));
            }
        }
        return values;
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "parse error";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
