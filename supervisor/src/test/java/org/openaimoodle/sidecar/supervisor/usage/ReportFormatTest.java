package org.openaimoodle.sidecar.supervisor.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.List;

import org.junit.jupiter.api.Test;

class ReportFormatTest {
    private static final List<UsageReport.Row> ROWS = List.of(
            new UsageReport.Row("42", 31, 2, 12480, 20315, new BigDecimal("0.014061")),
            new UsageReport.Row("a, \"b\"", 1, 0, 10, 5, BigDecimal.ZERO));

    @Test
    void csvQuotesFieldsWithCommasQuotesAndLineBreaks() {
        assertEquals("plain", ReportFormat.csvField("plain"));
        assertEquals("\"a,b\"", ReportFormat.csvField("a,b"));
        assertEquals("\"say \"\"hi\"\"\"", ReportFormat.csvField("say \"hi\""));
        assertEquals("\"two\nlines\"", ReportFormat.csvField("two\nlines"));
        assertEquals("\"cr\rhere\"", ReportFormat.csvField("cr\rhere"));
    }

    @Test
    void csvDefusesCellsASpreadsheetWouldRunAsAFormula() {
        assertEquals("'=HYPERLINK(\"\"x\"\")".length() + 2, ReportFormat.csvField("=HYPERLINK(\"x\")").length());
        assertEquals("\"'=HYPERLINK(\"\"x\"\")\"", ReportFormat.csvField("=HYPERLINK(\"x\")"));
        assertEquals("'+1", ReportFormat.csvField("+1"));
        assertEquals("'-1", ReportFormat.csvField("-1"));
        assertEquals("'@SUM(A1)", ReportFormat.csvField("@SUM(A1)"));
    }

    @Test
    void csvHasAHeaderRowAndCrlfLines() {
        assertEquals("user,requests,cached,prompt_tokens,completion_tokens,cost_usd\r\n"
                + "42,31,2,12480,20315,0.014061\r\n"
                + "\"a, \"\"b\"\"\",1,0,10,5,0.000000\r\n", ReportFormat.CSV.render("user", ROWS));
    }

    @Test
    void theTableIsAlignedAndEscapesControlCharacters() {
        String table = ReportFormat.TABLE.render("user", List.of(ROWS.get(0),
                new UsageReport.Row("evil\u001b[2J", 1, 0, 10, 5, BigDecimal.ZERO)));
        List<String> lines = table.lines().toList();
        assertEquals(3, lines.size());
        assertEquals(lines.get(0).length(), lines.get(1).length());
        assertEquals(lines.get(0).length(), lines.get(2).length());
        assertEquals(-1, table.indexOf('\u001b'));
        assertEquals(lines.get(0).indexOf("requests") + "requests".length(), lines.get(1).indexOf("31") + 2);
    }

    @Test
    void jsonIsAnArrayOfObjects() {
        assertEquals("[{\"action\":\"42\",\"requests\":31,\"cached\":2,\"prompt_tokens\":12480,"
                + "\"completion_tokens\":20315,\"cost_usd\":0.014061}]\n", ReportFormat.JSON.render("action",
                List.of(ROWS.get(0))));
    }
}
