package org.openaimoodle.sidecar.supervisor.usage;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.openaimoodle.sidecar.common.ControlCharacters;

/**
 * How {@code sidecarctl usage} prints its rows: a table aligned for a terminal, CSV a spreadsheet opens
 * (header row, RFC 4180 quoting, CRLF), or a JSON array of objects. Keys come from clients (a /v1 {@code user}
 * is any text), so the table escapes control characters and CSV defuses cells a spreadsheet would run as a
 * formula.
 */
public enum ReportFormat {
    /** Columns padded to their widest cell, numbers right-aligned. */
    TABLE,
    /** RFC 4180. */
    CSV,
    /** An array of objects. */
    JSON;

    private static final String[] NUMBERS = {"requests", "cached", "prompt_tokens", "completion_tokens", "cost_usd"};

    /**
     * @param keyLabel the key column's name ({@code user}, {@code action}, …)
     * @param rows     the rows
     * @return the whole output, ending with a line break
     */
    public String render(String keyLabel, List<UsageReport.Row> rows) {
        return switch (this) {
            case TABLE -> table(keyLabel, rows);
            case CSV -> csv(keyLabel, rows);
            case JSON -> json(keyLabel, rows);
        };
    }

    private static List<String> cells(UsageReport.Row row) {
        return List.of(Long.toString(row.requests()), Long.toString(row.cached()), Long.toString(row.promptTokens()),
                Long.toString(row.completionTokens()), cost(row.cost()).toPlainString());
    }

    /** Costs to a millionth of a dollar: enough for one request of a cheap model, short enough to read. */
    static BigDecimal cost(BigDecimal cost) {
        return cost.setScale(6, RoundingMode.HALF_UP);
    }

    private static String table(String keyLabel, List<UsageReport.Row> rows) {
        List<List<String>> lines = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of(keyLabel));
        header.addAll(List.of(NUMBERS));
        lines.add(header);
        for (UsageReport.Row row : rows) {
            List<String> line = new ArrayList<>();
            line.add(ControlCharacters.escapeKeepingTabs(row.key() == null ? "" : row.key()).replace('\t', ' '));
            line.addAll(cells(row));
            lines.add(line);
        }
        int[] widths = new int[header.size()];
        for (List<String> line : lines) {
            for (int i = 0; i < line.size(); i++) {
                widths[i] = Math.max(widths[i], line.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> line : lines) {
            for (int i = 0; i < line.size(); i++) {
                String cell = line.get(i);
                String pad = " ".repeat(widths[i] - cell.length());
                out.append(i == 0 ? cell + pad : pad + cell).append(i == line.size() - 1 ? "" : "  ");
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String csv(String keyLabel, List<UsageReport.Row> rows) {
        StringBuilder out = new StringBuilder(keyLabel);
        for (String name : NUMBERS) {
            out.append(',').append(name);
        }
        out.append("\r\n");
        for (UsageReport.Row row : rows) {
            out.append(csvField(row.key() == null ? "" : row.key()));
            for (String cell : cells(row)) {
                out.append(',').append(cell);
            }
            out.append("\r\n");
        }
        return out.toString();
    }

    /**
     * @param value a text cell
     * @return it quoted when it holds a comma, quote or line break (quotes doubled), and prefixed with
     *         {@code '} when a spreadsheet would read it as a formula
     */
    static String csvField(String value) {
        String text = !value.isEmpty() && "=+-@\t\r".indexOf(value.charAt(0)) >= 0 ? "'" + value : value;
        boolean quote = text.indexOf(',') >= 0 || text.indexOf('"') >= 0 || text.indexOf('\n') >= 0
                || text.indexOf('\r') >= 0;
        return quote ? '"' + text.replace("\"", "\"\"") + '"' : text;
    }

    private static String json(String keyLabel, List<UsageReport.Row> rows) {
        StringWriter text = new StringWriter();
        try (JsonGenerator out = new JsonFactory().createGenerator(text)) {
            out.writeStartArray();
            for (UsageReport.Row row : rows) {
                out.writeStartObject();
                out.writeStringField(keyLabel, row.key());
                out.writeNumberField("requests", row.requests());
                out.writeNumberField("cached", row.cached());
                out.writeNumberField("prompt_tokens", row.promptTokens());
                out.writeNumberField("completion_tokens", row.completionTokens());
                out.writeNumberField("cost_usd", cost(row.cost()));
                out.writeEndObject();
            }
            out.writeEndArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a StringWriter does not fail
        }
        return text + "\n";
    }
}
