package org.openaimoodle.sidecar.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The raw figures of one run, as bench/run.sh recorded them ({@code key=value} lines, the value taken
 * verbatim up to the end of the line; a key recorded twice keeps its last value). Numbers that are
 * missing, because a step failed, read as empty and print as "n/a", never as zero.
 */
final class Results {
    private final Map<String, String> values = new LinkedHashMap<>();

    private Results() {
    }

    static Results read(Path file) throws IOException {
        Results results = new Results();
        for (String line : Files.readAllLines(file)) {
            int equals = line.indexOf('=');
            if (equals > 0) {
                results.values.put(line.substring(0, equals), line.substring(equals + 1).strip());
            }
        }
        return results;
    }

    String text(String key) {
        String value = values.get(key);
        return value == null || value.isEmpty() ? "n/a" : value;
    }

    OptionalDouble number(String key) {
        String value = values.get(key);
        if (value == null) {
            return OptionalDouble.empty();
        }
        try {
            double number = Double.parseDouble(value);
            // -1 is how the harness writes "never got there".
            return number < 0 ? OptionalDouble.empty() : OptionalDouble.of(number);
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();
        }
    }

    /** Values of {@code prefix.1}, {@code prefix.2}, … (the repeated runs of one measure), in order. */
    List<Double> series(String prefix) {
        List<Double> series = new ArrayList<>();
        for (int i = 1; values.containsKey(prefix + "." + i); i++) {
            number(prefix + "." + i).ifPresent(series::add);
        }
        return series;
    }

    /** How many of the repeated runs {@code prefix.N} failed to produce a number. */
    int failedRuns(String prefix) {
        int failed = 0;
        for (int i = 1; values.containsKey(prefix + "." + i); i++) {
            if (number(prefix + "." + i).isEmpty()) {
                failed++;
            }
        }
        return failed;
    }

    static OptionalDouble median(List<Double> series) {
        if (series.isEmpty()) {
            return OptionalDouble.empty();
        }
        List<Double> sorted = series.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return OptionalDouble.of(sorted.size() % 2 == 1 ? sorted.get(middle)
                : (sorted.get(middle - 1) + sorted.get(middle)) / 2);
    }

    /** "412 ms (380–530, 5 runs)" style summary of a repeated measure. */
    static String spread(List<Double> series, String unit, double scale, int decimals) {
        OptionalDouble median = median(series);
        if (median.isEmpty()) {
            return "n/a";
        }
        double min = series.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double max = series.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        return format(median.getAsDouble() / scale, decimals) + " " + unit + " (" + format(min / scale, decimals)
                + "–" + format(max / scale, decimals) + ", " + series.size() + " runs)";
    }

    static String format(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    static String format(OptionalDouble value, double scale, int decimals) {
        return value.isPresent() ? format(value.getAsDouble() / scale, decimals) : "n/a";
    }
}
