package org.openaimoodle.sidecar.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a settings table of the README (the first Markdown table after a heading, with a {@code variable} and a
 * {@code default} column) so that each module's test can compare it with its settings table in the code, both
 * ways: every setting documented with its default, and nothing documented that the code does not read.
 */
public final class ReadmeSettingsTable {
    private ReadmeSettingsTable() {
    }

    /**
     * @param settings the module's table, e.g. {@code WorkerSettings.ALL}
     * @param heading  the README heading above the table, e.g. {@code ## Configuration}
     */
    public static void assertDocuments(List<Setting> settings, String heading) {
        Map<String, String> inCode = new LinkedHashMap<>();
        for (Setting setting : settings) {
            inCode.put(setting.name(), setting.shownDefault());
        }
        Map<String, String> inReadme = read(readme(), heading);
        assertEquals(String.join("\n", format(inCode)), String.join("\n", format(inReadme)),
                "README table under '" + heading + "' (right) differs from the settings table in the code (left): "
                        + "name and default of each row, in order");
    }

    /** @return variable → default of the table under {@code heading}, backticks removed */
    static Map<String, String> read(Path readme, String heading) {
        List<String> lines;
        try {
            lines = Files.readAllLines(readme);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int at = lines.indexOf(heading);
        if (at < 0) {
            throw new AssertionError("no heading '" + heading + "' in " + readme);
        }
        while (at < lines.size() && !lines.get(at).startsWith("|")) {
            at++;
        }
        List<String> header = cells(lines.get(at));
        int name = header.indexOf("variable");
        int shownDefault = header.indexOf("default");
        if (name < 0 || shownDefault < 0) {
            throw new AssertionError("the table under '" + heading + "' has no 'variable' and 'default' columns: " + header);
        }
        Map<String, String> rows = new LinkedHashMap<>();
        for (at += 2; at < lines.size() && lines.get(at).startsWith("|"); at++) {
            List<String> row = cells(lines.get(at));
            rows.put(row.get(name), row.get(shownDefault));
        }
        return rows;
    }

    private static List<String> cells(String line) {
        String inner = line.strip().substring(1, line.strip().length() - 1);
        return java.util.Arrays.stream(inner.split("\\|", -1)).map(cell -> cell.strip().replace("`", "")).toList();
    }

    private static List<String> format(Map<String, String> rows) {
        return rows.entrySet().stream().map(row -> row.getKey() + " = " + row.getValue()).toList();
    }

    /** The README of the checkout: tests run in a module directory, the README is one level up. */
    private static Path readme() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isRegularFile(dir.resolve("mvnw"))) {
                return dir.resolve("README.md");
            }
        }
        throw new AssertionError("README.md not found above " + Path.of("").toAbsolutePath());
    }
}
