package org.openaimoodle.sidecar.common;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The optional config file: flat YAML whose keys are the environment variable names
 * ({@code OPENAI_MODEL: gpt-4o-mini}), one file for both programs (docs/internals.md). Keys a program does not
 * know are left for the other one. Only touched when a file is configured, so stdio mode without one never
 * loads the YAML library.
 */
final class FlatYamlFile {
    private FlatYamlFile() {
    }

    /**
     * @param name     the file, as configured
     * @param source   where SIDECAR_CONFIG came from, for the message
     * @param fromFlag whether that was the command line (for the exit code)
     * @param masker   hides secrets in the parser's message
     * @return variable name → value text; null values are left out
     * @throws ConfigException when the file cannot be read, is not YAML, or is not flat
     */
    static Map<String, String> read(String name, String source, boolean fromFlag, SecretMasker masker) {
        String where = "SIDECAR_CONFIG must name a readable flat YAML file: " + name + " (from " + source + ")";
        Object document;
        try (Reader reader = Files.newBufferedReader(Path.of(name), StandardCharsets.UTF_8)) {
            // SafeConstructor: plain maps, lists and scalars only, no arbitrary Java types.
            document = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
        } catch (NoSuchFileException e) {
            throw new ConfigException(where + " does not exist; fix the path or unset it", fromFlag);
        } catch (AccessDeniedException e) {
            throw new ConfigException(where + " is not readable by this user; fix its permissions or unset it",
                    fromFlag);
        } catch (IOException | RuntimeException e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            int newline = reason.indexOf('\n');
            String firstLine = newline < 0 ? reason : reason.substring(0, newline);
            throw new ConfigException(where + (e instanceof IOException ? " cannot be read: " : " is not valid YAML: ")
                    + masker.scrubAndCap(firstLine, 200) + "; fix the file or unset it", fromFlag);
        }
        if (document == null) {
            return Map.of();
        }
        if (!(document instanceof Map<?, ?> map)) {
            throw new ConfigException(where + " is not a flat mapping of variable names to values, e.g. "
                    + "'OPENAI_MODEL: gpt-4o-mini'; fix the file or unset it", fromFlag);
        }
        Map<String, String> values = new HashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            Object value = entry.getValue();
            if (value instanceof Map<?, ?> || value instanceof Iterable<?>) {
                throw new ConfigException(masker.scrubAndCap(String.valueOf(entry.getKey()), 80) + " in config file " + name + " must be a single value, "
                        + "not a list or mapping (the file is flat: VARIABLE_NAME: value); fix the file", fromFlag);
            }
            if (value != null) {
                values.put(String.valueOf(entry.getKey()), String.valueOf(value));
            }
        }
        return values;
    }
}
